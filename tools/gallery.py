"""Screenshot every page of `sptweb demo` at 1600 px, 900 px and in dark mode, for docs/gallery/.

    python tools/gallery.py OUT_DIR [--variants wide,narrow,dark] [--port 4277]

Starts `sptweb demo` in a temporary folder, waits for its first scan, then
drives headless Chromium (Playwright) through the table, a run's tabs, a
failed run's logs and the compare views. Each shot is the first screen
(not the full page), halved and reduced to a 256-colour palette, so the
committed gallery stays small. Not run by CI.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from browser import CHROMIUM, CHROMIUM_ARGS

VARIANTS = {  # name: (viewport width, colour scheme)
    "wide": (1600, "light"),
    "narrow": (900, "light"),
    "dark": (1600, "dark"),
}


def pages(base: str) -> list[tuple[str, str]]:
    """(name, URL) of every page worth a look, with run ids taken from the demo itself."""
    runs = json.load(urllib.request.urlopen(base + "/api/runs?per_page=500"))["runs"]
    spt = [run for run in runs if run["run_id"].startswith("stable-pretraining")]
    # a failed run whose logs say why (the recorded spt runs wrote no log files of their own)
    failed = next(
        run for run in runs if run["status"] == "failed" and not run["run_id"].startswith("stable-pretraining")
    )
    resnet = next(run for run in runs if "resnet" in run["run_id"] and run["status"] == "running")
    live = max(spt, key=lambda run: run["created_at"] or 0)

    def run_url(run: dict, **args: str) -> str:
        query = f"?{urllib.parse.urlencode(args)}" if args else ""
        return f"{base}/run/{urllib.parse.quote(run['run_id'])}{query}"

    compare = f"{base}/compare?q=resnet"
    return [
        ("table", base + "/"),
        ("run-metrics", run_url(resnet)),
        ("run-metrics-spt", run_url(live)),
        ("run-media", run_url(resnet, tab="media")),
        ("run-logs-failed", run_url(failed, tab="logs")),
        ("run-config", run_url(resnet, tab="config")),
        ("compare-charts", compare),
        ("compare-groups", compare + "&group=-seed"),
        ("compare-diff", compare + "&view=diff"),
        ("compare-scatter", compare + "&view=scatter"),
        ("compare-media", compare + "&view=media"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--port", type=int, default=4277)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    root = tempfile.mkdtemp(prefix="sptweb-gallery-")
    env = {**os.environ, "SPTWEB_INDEX_CACHE_DIR": ""}
    server = subprocess.Popen(
        [sys.executable, "-m", "sptweb", "demo", os.path.join(root, "demo"), "--port", str(args.port), "--no-auth"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        while "serving" not in server.stdout.readline():
            pass
        while json.load(urllib.request.urlopen(base + "/api/scan"))["phase"] != "ready":
            pass
        shots = pages(base)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            for variant in args.variants.split(","):
                width, scheme = VARIANTS[variant]
                page = browser.new_page(viewport={"width": width, "height": 1000}, color_scheme=scheme)
                for name, url in shots:
                    page.goto(url)
                    page.wait_for_load_state("networkidle")
                    page.wait_for_timeout(800)  # charts draw after their data arrives
                    path = args.out / variant / f"{name}.png"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(path))
                    shrink(path)
                    print(path, path.stat().st_size // 1024, "KiB")
                page.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


def shrink(path: Path) -> None:
    """Half size, 256 colours: a 1600 px shot from ~300 KiB to ~60 KiB, still readable."""
    with Image.open(path) as image:
        small = image.convert("RGB").resize((image.width // 2, image.height // 2), Image.LANCZOS)
    small.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


if __name__ == "__main__":
    main()
