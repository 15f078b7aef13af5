"""Runs of plain PyTorch Lightning (no sidecar): CSVLogger and TensorBoard folders recorded from the real loggers."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from sptweb.demo.replay import Replayer, load_trace, recordings_dir

FIXTURES = Path(__file__).parent / "fixtures" / "lightning"
CSV_RUN, TB_RUN = "lightning/csv/tiny/version_0", "lightning/tensorboard/tiny/version_0"


def age(folder: Path, seconds: float) -> None:
    """Every file of the run last written `seconds` ago."""
    for path in [folder, *folder.rglob("*")]:
        os.utime(path, (time.time() - seconds, time.time() - seconds))


@pytest.fixture
def lightning_runs(runs_root):
    """The recorded CSVLogger and TensorBoard runs under runs_root/lightning, finished an hour ago."""
    shutil.copytree(FIXTURES, runs_root / "lightning")
    age(runs_root / "lightning", 3600)
    return runs_root / "lightning"


def test_csvlogger_and_tensorboard_folders_are_runs(lightning_runs, client, scan, scanner):
    scan()
    assert sorted(scanner.snapshot.runs) == [CSV_RUN, TB_RUN]
    csv = client.get("/api/runs?filter=kind=csv").json["runs"]
    assert [run["run_id"] for run in csv] == [CSV_RUN]
    body = csv[0]
    assert body["name"] == "tiny/version_0" and body["kind"] == "csv"
    assert body["hparams"] == {"logger": "csv", "model.width": 32, "optim.lr": 0.05, "seed": 0}
    assert body["status"] == "finished" and "inferred" in body["warnings"][0]
    assert body["checkpoint_path"].endswith("checkpoints/epoch=3-step=120.ckpt")
    assert abs(body["created_at"] - (time.time() - 3600)) < 60
    html = client.get("/").text
    assert "Lightning CSV" in html and "TensorBoard" in html


def test_a_lightning_run_is_running_while_it_writes(lightning_runs, scan, scanner):
    with open(lightning_runs / "csv/tiny/version_0/metrics.csv", "a") as handle:
        handle.write("3,,121,0.5,,\n")
    scan()
    assert scanner.snapshot.get(CSV_RUN).status == "running"
    assert scanner.snapshot.get(TB_RUN).status == "finished"


def test_the_one_step_spike_survives_a_300_px_chart(lightning_runs, client, scan):
    scan()
    series = client.get(f"/api/metrics?run={CSV_RUN}&keys=train/loss&points=300").json["series"]["train/loss"]
    assert max(series["y"]) > 20 * sorted(series["y"])[len(series["y"]) // 2]  # step 57: fifty times the loss
    assert 57 in series["x"]


def test_lightning_logs_inside_an_spt_run_are_part_of_it(runs_root, scan, scanner):
    replayer = Replayer(load_trace(recordings_dir() / "completed.jsonl"), runs_root, run="spt/run")
    replayer.play()
    assert list((replayer.run_dir / "lightning_logs" / "version_0").glob("events.out.tfevents.*"))
    scan()
    assert sorted(scanner.snapshot.runs) == ["spt/run"]


def test_edits_of_a_lightning_run_go_to_the_overlay(lightning_runs, client, scan):
    scan()
    response = client.patch(f"/api/meta?run={CSV_RUN}", json={"display_name": "baseline", "add_tags": ["keep"]})
    assert response.status_code == 200 and response.json["name"] == "baseline" and "keep" in response.json["tags"]
    assert (lightning_runs / "csv/tiny/version_0/sptweb-overlay.json").exists()


def test_tensorboard_scalars_are_series_and_the_spike_survives(lightning_runs, client, scan):
    scan()
    body = client.get(f"/api/metrics?run={TB_RUN}&points=300").json
    assert {"train/loss", "val/acc", "val/loss", "lr-SGD"} <= set(body["keys"])
    loss = body["series"]["train/loss"]
    assert loss["raw_count"] == 120 and 57 in loss["x"]
    assert max(loss["y"]) > 20 * sorted(loss["y"])[len(loss["y"]) // 2]
    page = client.get(f"/run/{TB_RUN}?tab=metrics").text
    assert 'data-key="train/loss"' in page


def test_an_event_file_growing_while_served_is_read_incrementally(lightning_runs, runs_root, client, scan):
    run_dir = lightning_runs / "tensorboard/tiny/version_0"
    event_file = next(run_dir.glob("events.out.tfevents.*"))
    full = event_file.read_bytes()
    cut = len(full) * 2 // 3
    event_file.write_bytes(full[:cut])  # mid-record: the last record is not written yet
    scan()
    first = client.get(f"/api/metrics?run={TB_RUN}&keys=train/loss").json["series"]["train/loss"]
    assert 0 < first["raw_count"] < 120
    with open(event_file, "ab") as handle:
        handle.write(full[cut:])  # the writer finishes the record and appends the rest
    update = client.get(f"/api/metrics?run={TB_RUN}&keys=train/loss&after={first['x'][-1]}").json["series"][
        "train/loss"
    ]
    assert update["count"] == 120 - first["raw_count"] and min(update["x"]) > first["x"][-1]


def test_a_corrupt_record_says_so_and_keeps_what_came_before(lightning_runs, client, scan):
    event_file = next((lightning_runs / "tensorboard/tiny/version_0").glob("events.out.tfevents.*"))
    data = bytearray(event_file.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the middle of a record
    event_file.write_bytes(bytes(data))
    scan()
    series = client.get(f"/api/metrics?run={TB_RUN}&keys=train/loss").json["series"]["train/loss"]
    assert 0 < series["raw_count"] < 120
    assert "checksum" in client.get(f"/run/{TB_RUN}?tab=metrics").text


def test_without_the_tensorboard_extra_the_page_says_what_to_install(lightning_runs, client, scan, monkeypatch):
    import sptweb.metrics.tfevents as tfevents

    monkeypatch.setattr(tfevents, "_decoders", lambda: None)
    scan()
    assert "pip install &#39;sptweb[tensorboard]&#39;" in client.get(f"/run/{TB_RUN}?tab=metrics").text
    assert client.get(f"/api/metrics?run={TB_RUN}").json["keys"] == []


def test_a_fifo_named_like_a_run_file_never_hangs_the_viewer(runs_root, make_run, client, scan):
    fifo_run = runs_root / "odd" / "version_0"
    fifo_run.mkdir(parents=True)
    os.mkfifo(fifo_run / "metrics.csv")  # a run by its name; nothing will ever write to it
    os.mkfifo(fifo_run / "hparams.yaml")
    spt = make_run("spt/r", metrics="step,loss\n0,1.0\n")
    os.remove(spt / "metrics.csv")
    os.mkfifo(spt / "metrics.csv")
    os.mkfifo(spt / "media.jsonl")
    make_run("fine", metrics="step,loss\n0,1.0\n")
    scan()
    assert sorted(run["run_id"] for run in client.get("/api/runs").json["runs"]) == ["fine", "odd/version_0", "spt/r"]
    for run in ("odd/version_0", "spt/r"):
        assert client.get(f"/api/metrics?run={run}").json["keys"] == []
        assert client.get(f"/run/{run}?tab=metrics").status_code == 200
    assert client.get("/run/spt/r?tab=media").status_code == 200


def test_tensorboard_runs_chart_against_wall_time_too(lightning_runs, client, scan):
    scan()
    series = client.get(f"/api/metrics?run={TB_RUN}&keys=train/loss&x=wall").json["series"]["train/loss"]
    assert series["raw_count"] == 120 and 1.7e9 < series["x"][0] <= series["x"][-1] < 2.1e9  # epoch seconds
    assert 'value="wall"' in client.get(f"/run/{TB_RUN}?tab=metrics").text
    refused = client.get(f"/api/metrics?run={CSV_RUN}&x=wall")
    assert refused.status_code == 400 and "wall" in refused.json["error"]


def test_without_hparams_yaml_a_tensorboard_run_takes_the_hparams_plugin_data(lightning_runs, client, scan):
    (lightning_runs / "tensorboard/tiny/version_0/hparams.yaml").unlink()
    scan()
    body = client.get("/api/runs?filter=kind=tensorboard").json["runs"][0]
    assert body["hparams"] == {"logger": "tensorboard", "model.width": 32, "optim.lr": 0.05, "seed": 0}


def test_tensorboard_images_are_media_served_from_the_event_file(lightning_runs, client, scan):
    scan()
    body = client.get(f"/api/media?run={TB_RUN}").json
    assert body["tags"] == ["weights/first_layer"] and body["steps"] == [0, 40, 80]
    image = client.get(body["events"][-1]["url"])
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data.startswith(b"\x89PNG")
    tab = client.get(f"/run/{TB_RUN}?tab=media").text
    assert "weights/first_layer" in tab and "step 80" in tab
    name = body["events"][0]["path"].split("/")[1]
    for hostile in (
        f"tb/../{name}/0/0",
        "tb/events.out.tfevents.x/0/0",
        f"tb/{name}/1/0",
        f"tb/{name}/0/99",
        "tb/a\x00/0/0",
        "../x",
    ):
        assert client.get(f"/media/file?run={TB_RUN}&path={hostile}").status_code == 404
