"""Runs written by the real stable-pretraining RegistryLogger (recorded traces), replayed poll by poll."""

from __future__ import annotations

import json
import os
import stat
import time

import pytest

from sptweb.demo.replay import Replayer, load_trace, recordings_dir

SCENARIOS = ("completed", "failed", "killed", "requeued")


@pytest.fixture
def replay(runs_root):
    """replay("completed", name=None) -> a Replayer writing into runs_root (nothing applied yet)."""

    def make(scenario: str, name: str | None = None) -> Replayer:
        trace = load_trace(recordings_dir() / f"{scenario}.jsonl")
        return Replayer(trace, runs_root, run=name)

    return make


def run_id(replayer: Replayer, runs_root) -> str:
    return str(replayer.run_dir.relative_to(runs_root))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_recording_replays_into_a_real_spt_run_dir(replay, scenario):
    replayer = replay(scenario)
    replayer.play()
    run_dir = replayer.run_dir
    assert run_dir.parts[-4] == "runs" and len(run_dir.name) == 12  # runs/YYYYMMDD/HHMMSS/<12 hex>
    names = {path.name for path in run_dir.iterdir()}
    assert {"sidecar.json", "summary.json", "metrics.csv", "heartbeat", "run_meta.json", "hparams.yaml"} <= names
    assert {"media.jsonl", "checkpoints", "lightning_logs"} <= names
    assert stat.S_IMODE(os.stat(run_dir / "sidecar.json").st_mode) == 0o600  # spt's mkstemp, whatever the umask
    assert json.loads((run_dir / "run_meta.json").read_text())["slurm_job_id"] == "4000123"
    sidecar = json.loads((run_dir / "sidecar.json").read_text())
    expected = {"completed": "completed", "failed": "failed", "killed": "running", "requeued": "completed"}
    assert sidecar["status"] == expected[scenario] and sidecar["run_dir"] == str(run_dir)
    assert "sweep:4000120" in sidecar["tags"]


def test_the_sidecar_is_replaced_on_every_flush_while_metrics_csv_grows_in_place(replay):
    replayer = replay("completed")
    replayer.play(calls=10)  # past the first flush: metrics.csv exists
    replayer.play(until="RegistryLogger.save")
    sidecar, metrics = replayer.run_dir / "sidecar.json", replayer.run_dir / "metrics.csv"
    replaced, sizes = [], [metrics.stat().st_size]
    for _ in range(5):
        inode = sidecar.stat().st_ino
        replayer.play(until="RegistryLogger.save")
        replaced.append(sidecar.stat().st_ino != inode)  # a new file renamed over the old one
        sizes.append(metrics.stat().st_size)
    assert all(replaced) and sizes == sorted(sizes) and sizes[-1] > sizes[0]


def test_the_requeue_writes_finished_then_training_goes_on(replay):
    replayer = replay("requeued")
    statuses = []
    while not replayer.done:
        replayer.step()
        statuses.append(
            json.loads((replayer.run_dir / "sidecar.json").read_text())["status"]
            if (replayer.run_dir / "sidecar.json").exists()
            else None
        )
    shown = [
        status for index, status in enumerate(statuses) if status and (index == 0 or statuses[index - 1] != status)
    ]
    assert shown == ["running", "finished", "running", "completed"]


def test_every_metrics_append_of_a_training_spt_run_is_told_as_run_files(replay, runs_root, scan):
    replayer = replay("completed")
    replayer.play(until="RegistryLogger.save")
    scan()
    run = run_id(replayer, runs_root)
    told, appends = 0, 0
    for _ in range(60):
        call = replayer.step()
        change = scan()
        if any(op["path"] == "metrics.csv" for op in call["ops"]):
            appends += 1
            told += change is not None and run in change.touched
    assert appends >= 10 and told == appends


def test_three_training_spt_runs_refresh_tables_a_bounded_number_of_times(replay, scan):
    replayers = [replay("completed", f"sweep/run{index}") for index in range(3)]
    polls, table_refreshes = 0, 0
    while not all(replayer.done for replayer in replayers):
        for replayer in replayers:
            replayer.step()
        change = scan()
        polls += 1
        table_refreshes += change is not None and change.table_changed
    # Added, the first churn, the finish (each at most once per run), and at most one churn
    # announcement per 10 s of test time: nowhere near one per poll.
    assert polls > 100 and table_refreshes <= 10


def test_a_chart_follows_a_replayed_spt_run_with_after(replay, runs_root, client, scan):
    replayer = replay("completed")
    replayer.play(calls=40)
    scan()
    run = run_id(replayer, runs_root)
    first = client.get(f"/api/metrics?run={run}&keys=train/loss").json["series"]["train/loss"]
    last_x = first["x"][-1]
    replayer.play(calls=30)
    scan()
    update = client.get(f"/api/metrics?run={run}&keys=train/loss&after={last_x}").json["series"]["train/loss"]
    assert update["count"] > 0 and min(update["x"]) > last_x


def test_real_runs_read_well_in_the_table(replay, runs_root, client, scan):
    replayer = replay("completed")
    replayer.play()
    scan()
    run = run_id(replayer, runs_root)
    html = client.get("/").text
    short_id = replayer.run_dir.name
    assert f">{short_id}</a>" in html  # the 12-hex id, not runs/20261126/151206/<id>
    assert 'class="run-id" title="' + run + '"' in html  # the full path and the date beside it
    header = html[html.index("<thead") : html.index("</thead>")]
    assert "val/acc" in header and "train/loss" in header and ">epoch<" not in header and ">step<" not in header
    body = client.get("/api/runs?sort=-sum.val/acc.max").json["runs"][0]
    assert body["summary_stats"]["val/acc.max"] >= body["summary"]["val/acc"]
    assert body["slurm_job_id"] == "4000123" and body["slurm_array_task_id"] == "3"
    page = client.get(f"/run/{run}").text
    assert "4000123 (task 3)" in page


def test_a_long_quiet_phase_is_quiet_then_stale_never_flickering(replay, runs_root, client, scan, scanner):
    replayer = replay("completed")
    replayer.time_shift -= 1000  # the recorded times land well in the past
    replayer.play(calls=60)
    run = run_id(replayer, runs_root)

    def age_files(seconds: float) -> None:
        for path in replayer.run_dir.rglob("*"):
            os.utime(path, (time.time() - seconds, time.time() - seconds))

    age_files(5)
    scan()
    record = scanner.snapshot.get(run)
    assert record.status == "running" and record.quiet_for(time.time()) is None
    age_files(120)  # a long validation pass: nothing written for two minutes
    scan()
    record = scanner.snapshot.get(run)
    assert record.status == "running" and 110 < record.quiet_for(time.time()) < 300
    assert "quiet 2 min" in client.get("/").text
    age_files(400)
    scan()
    assert scanner.snapshot.get(run).status == "stale"


def test_a_sidecar_another_user_wrote_0600_still_shows_the_run(replay, runs_root, client, scan, monkeypatch):
    from sptweb.scan.folder import RunFolder

    real_read = RunFolder.read

    def as_another_user(folder, name, *args):
        if name in ("sidecar.json", "summary.json"):
            raise PermissionError(13, "Permission denied", name)
        return real_read(folder, name, *args)

    monkeypatch.setattr(RunFolder, "read", as_another_user)
    replayer = replay("killed")
    replayer.play()
    scan()
    body = client.get("/api/runs").json["runs"][0]
    assert body["status"] == "running"  # from file times: it wrote moments ago
    assert body["hparams"]["optim.lr"] == 0.05 and body["hparams"]["model.width"] == 32  # from hparams.yaml
    assert "chmod g+r sidecar.json summary.json" in body["error"] and "not readable by" in body["error"]
    assert body["name"] == replayer.run_dir.name  # run_meta.json still names it
    run = run_id(replayer, runs_root)
    assert client.get(f"/api/metrics?run={run}&keys=train/loss").json["series"]["train/loss"]["count"] > 10
