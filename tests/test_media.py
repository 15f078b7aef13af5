"""Media: incremental media.jsonl, the tab, safe file serving with ranges, compare side by side."""

import json
import os

import pytest

from sptweb.media.events import items_at, parse_line
from sptweb.media.store import RunMedia

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def event(step, tag="samples/recon", index=0, **extra):
    path = f"media/{tag.replace('/', '__')}/{step:08d}_{index}.png"
    return {"step": step, "tag": tag, "type": "image", "path": path, "caption": f"{tag} {step}.{index}", **extra}


@pytest.fixture
def media_run(make_run, scan):
    run_dir = make_run("m/r")
    events = [event(0), event(100), event(100, index=1), event(200, tag="attention/map")]
    for item in events:
        (run_dir / item["path"]).parent.mkdir(parents=True, exist_ok=True)
        (run_dir / item["path"]).write_bytes(PNG)
    events.append(
        {
            "step": 300,
            "tag": "rollout",
            "type": "video",
            "path": "media/rollout/00000300_0.webm",
            "fps": 8,
            "format": "webm",
        }
    )
    (run_dir / "media" / "rollout").mkdir()
    (run_dir / "media/rollout/00000300_0.webm").write_bytes(b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 40)
    events.append(event(400, tag="samples/recon"))  # its file is missing
    lines = "".join(json.dumps(item) + "\n" for item in events)
    (run_dir / "media.jsonl").write_text(lines + "not json\n" + '{"step": 500, "tag": "samples/re')  # junk + partial
    scan()
    return run_dir


def test_partial_last_line_waits_and_bad_lines_are_counted(media_run):
    media = RunMedia(str(media_run))
    media.refresh()
    assert [item.step for item in media.events] == [0, 100, 100, 200, 300, 400]
    assert media.bad_lines == 1
    offset = media.offset
    with open(media_run / "media.jsonl", "a") as handle:
        handle.write('con", "type": "image", "path": "media/x.png"}\n')
    media.refresh()
    assert media.events[-1].step == 500 and media.offset > offset  # only the new bytes were read


def test_items_at_or_before_a_step():
    events = [
        parse_line(json.dumps(item).encode(), seq)
        for seq, item in enumerate([event(0), event(100), event(100, index=1)])
    ]
    assert [item.seq for item in items_at(events, "samples/recon", 150)] == [1, 2]
    assert [item.seq for item in items_at(events, "samples/recon", 99)] == [0]
    assert items_at(events, "samples/recon", -1) == []


def test_api_lists_events_with_urls(client, media_run):
    body = client.get("/api/media?run=m/r").json
    assert body["steps"] == [0, 100, 200, 300, 400] and body["bad_lines"] == 1
    assert body["events"][0]["url"] == "/media/file?run=m/r&path=media/samples__recon/00000000_0.png"
    assert body["events"][4]["type"] == "video" and body["events"][4]["fps"] == 8


def test_media_tab_defaults_to_the_latest_step_and_reads_the_slider_from_the_url(client, media_run):
    latest = client.get("/run/m/r?tab=media").text
    assert "following the latest" in latest and "file missing" in latest  # step 400's file is gone
    earlier = client.get("/run/m/r?tab=media&step=150").text
    assert "samples/recon 100.0" in earlier and "samples/recon 100.1" in earlier  # two items of one step
    assert "nothing at or before this step" in earlier  # attention/map starts at 200
    fragment = client.get("/run/m/r?tab=media&part=media&si=1")
    assert fragment.headers["HX-Replace-Url"] == "/run/m/r?tab=media&step=100"


def test_files_are_served_with_type_cache_and_nosniff(client, media_run):
    response = client.get("/media/file?run=m/r&path=media/samples__recon/00000000_0.png")
    assert response.status_code == 200 and response.mimetype == "image/png" and response.data == PNG
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in response.headers["Cache-Control"]


def test_range_requests_let_videos_seek(client, media_run):
    response = client.get("/media/file?run=m/r&path=media/rollout/00000300_0.webm", headers={"Range": "bytes=4-11"})
    assert response.status_code == 206 and response.mimetype == "video/webm"
    assert response.data == bytes(range(8)) and response.headers["Content-Range"].startswith("bytes 4-11/")


@pytest.mark.parametrize(
    "path",
    [
        "sidecar.json",
        "media/../sidecar.json",
        "../../etc/passwd",
        "/etc/passwd",
        "media/samples__recon/../../sidecar.json",
        "media/nope.png",
        "media",
        "media/escape/secret.txt",
    ],
)
def test_traversal_and_symlink_escapes_are_404(client, media_run, path, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    os.symlink(tmp_path, media_run / "media" / "escape")
    response = client.get("/media/file", query_string={"run": "m/r", "path": path})
    assert response.status_code == 404
    assert b"top secret" not in response.data


def test_a_symlink_inside_media_is_served(client, media_run):
    os.symlink(media_run / "media/samples__recon/00000000_0.png", media_run / "media/alias.png")
    assert client.get("/media/file?run=m/r&path=media/alias.png").status_code == 200


def test_compare_media_shows_the_same_step_side_by_side(client, media_run, make_run, scan):
    other = make_run("m/other")
    (other / "media/samples__recon").mkdir(parents=True)
    (other / "media/samples__recon/00000050_0.png").write_bytes(PNG)
    (other / "media.jsonl").write_text(json.dumps(event(50)) + "\n")
    scan()
    html = client.get("/compare?runs=m/r,m/other&view=media&tag=samples/recon&step=120").text
    assert html.count('class="panel"') == 2
    assert "step 100" in html and "step 50" in html
