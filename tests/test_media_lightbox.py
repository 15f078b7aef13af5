"""The lightbox steps through logged steps: ← / → or its arrows, and it shows the same item at the new step."""

from __future__ import annotations

import json

import numpy as np
import pytest
from browser import chromium_page, live_server

from sptweb.demo.images import encode_png

pytestmark = pytest.mark.browser


def test_lightbox_arrows_step_the_enlarged_image(app, make_run, scan):
    run_dir = make_run("media/r")
    events = []
    for step in (10, 20, 30):
        for index in range(2):
            path = f"media/samples/{step:08d}_{index}.png"
            (run_dir / path).parent.mkdir(parents=True, exist_ok=True)
            (run_dir / path).write_bytes(encode_png(np.full((8, 8, 3), step, dtype=np.uint8)))
            events.append(
                {"step": step, "tag": "samples", "type": "image", "path": path, "caption": f"s{step}/{index}"}
            )
    (run_dir / "media.jsonl").write_text("".join(json.dumps(event) + "\n" for event in events))
    scan()
    with live_server(app) as base, chromium_page() as page:
        page.goto(base + "/run/media/r?tab=media&step=10")
        page.click(".media-panel img >> nth=1")
        caption = page.locator("dialog.lightbox figcaption")
        assert caption.inner_text().startswith("s10/1")
        assert page.locator("dialog.lightbox .prev").is_disabled()  # the first step: nothing before it
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "() => document.querySelector('dialog.lightbox figcaption').textContent.startsWith('s20/1')"
        )
        assert "00000020_1.png" in page.locator("dialog.lightbox img").get_attribute("src")
        page.click("dialog.lightbox .next")
        page.wait_for_function(
            "() => document.querySelector('dialog.lightbox figcaption').textContent.startsWith('s30/1')"
        )
        assert page.locator("dialog.lightbox .next").is_disabled()
        page.click("dialog.lightbox .prev")
        page.wait_for_function(
            "() => document.querySelector('dialog.lightbox figcaption').textContent.startsWith('s20/1')"
        )
        assert page.locator("dialog.lightbox[open]").count() == 1 and "step=20" in page.url
