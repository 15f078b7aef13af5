"""SLURM's word on real spt runs, through fake `squeue`/`scontrol` on PATH: lost, requeued, job logs."""

from __future__ import annotations

import os
import stat

import pytest

from sptweb.demo.replay import Replayer, load_trace, recordings_dir
from sptweb.scan import scanner_of

JOB = "4000123"  # what the recordings' run_meta.json names
TRACEBACK = 'Traceback (most recent call last):\n  File "train.py", line 9, in <module>\nRuntimeError: CUDA error: an illegal memory access\n'


@pytest.fixture
def fake_slurm(tmp_path, monkeypatch):
    """Fake squeue/scontrol that print what the test writes into `queue` and `jobs`, and count their calls."""
    bin_dir, state = tmp_path / "bin", tmp_path / "slurm-state"
    bin_dir.mkdir()
    state.mkdir()
    for name, answer in (("squeue", "queue"), ("scontrol", "jobs")):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\necho "$@" >> {state}/{name}.calls\ncat {state}/{answer} 2>/dev/null\n')
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    class Slurm:
        def queue(self, text: str) -> None:
            (state / "queue").write_text(text)

        def jobs(self, text: str) -> None:
            (state / "jobs").write_text(text)

        def calls(self, name: str) -> list[str]:
            path = state / f"{name}.calls"
            return path.read_text().splitlines() if path.exists() else []

    return Slurm()


def replayed(runs_root, scenario: str, name: str = "spt/run", until: str | None = None) -> Replayer:
    replayer = Replayer(load_trace(recordings_dir() / f"{scenario}.jsonl"), runs_root, run=name)
    replayer.play(until=until)
    return replayer


def rescan(scanner) -> None:
    """Scan again as if the 30 s cache of SLURM answers had run out."""
    scanner._slurm._states_at = scanner._slurm._logs_at = float("-inf")
    scanner.scan_once()


def scanned_app(make_app, runs_root, scenario: str = "killed"):
    """A replayed spt run and an app that has scanned it once: (app, scanner)."""
    replayed(runs_root, scenario)
    app = make_app()
    scanner_of(app).scan_once()
    return app, scanner_of(app)


def test_a_running_run_whose_job_left_the_queue_is_lost_and_says_why(fake_slurm, make_app, runs_root, tmp_path):
    err = tmp_path / f"slurm-{JOB}.err"
    err.write_text("epoch 1 ...\n" + TRACEBACK)
    fake_slurm.queue(f"{JOB} RUNNING\n")
    fake_slurm.jobs(f"JobId={JOB} JobName=train StdOut={tmp_path}/slurm-{JOB}.out StdErr={err}\n")
    app, scanner = scanned_app(make_app, runs_root)
    assert scanner.snapshot.get("spt/run").status == "running"
    fake_slurm.queue("")  # the job is gone: the OOM killer took it, the writer never said
    rescan(scanner)
    run = scanner.snapshot.get("spt/run")
    assert run.status == "lost" and run.job_logs == (f"{tmp_path}/slurm-{JOB}.out", str(err))
    page = app.test_client().get("/run/spt/run").text
    assert "was lost" in page and "RuntimeError: CUDA error" in page
    streams = app.test_client().get("/api/logs?run=spt/run").json["streams"]
    assert [stream["id"] for stream in streams] == [f"slurm:slurm-{JOB}.err"]  # the .out was never written


def test_job_log_paths_survive_the_job_leaving_slurmctld(fake_slurm, make_app, runs_root, tmp_path):
    fake_slurm.queue(f"{JOB} RUNNING\n")
    fake_slurm.jobs(f"JobId={JOB} StdOut={tmp_path}/job.out StdErr={tmp_path}/job.out\n")
    _, scanner = scanned_app(make_app, runs_root)
    fake_slurm.jobs("")  # slurmctld forgot the job (MinJobAge)
    rescan(scanner)
    assert scanner.snapshot.get("spt/run").job_logs == (f"{tmp_path}/job.out",)
    scanner.save_index()
    restarted = make_app()  # the paths are in the persisted index
    assert scanner_of(restarted).snapshot.get("spt/run").job_logs == (f"{tmp_path}/job.out",)


def test_a_requeued_run_is_requeued_then_running_not_finished(fake_slurm, make_app, runs_root):
    replayed(runs_root, "requeued", until="RegistryLogger.finalize")  # spt wrote "finished" on the signal
    fake_slurm.queue(f"{JOB} PENDING\n")
    app = make_app()
    scanner = scanner_of(app)
    scanner.scan_once()
    run = scanner.snapshot.get("spt/run")
    assert run.meta.status == "finished" and run.status == "requeued"
    fake_slurm.queue(f"{JOB} RUNNING\n")
    rescan(scanner)
    assert scanner.snapshot.get("spt/run").status == "running"


def test_without_slurm_tools_finished_stays_finished(make_app, runs_root):
    replayed(runs_root, "requeued", until="RegistryLogger.finalize")
    scanner = scanner_of(make_app())
    scanner.scan_once()
    assert scanner.snapshot.get("spt/run").status == "finished"


def test_one_batched_squeue_per_cycle_cached_for_30_s(fake_slurm, make_app, runs_root):
    for index in range(3):
        replayed(runs_root, "killed", name=f"spt/run{index}")
    fake_slurm.queue(f"{JOB} RUNNING\n")
    scanner = scanner_of(make_app())
    for _ in range(5):
        scanner.scan_once()
    calls = fake_slurm.calls("squeue")
    assert len(calls) == 1 and calls[0] == f"-h -o %A %T -j {JOB}"
    assert len(fake_slurm.calls("scontrol")) == 1


def test_a_failed_run_without_logs_says_where_it_looked(make_app, runs_root):
    replayed(runs_root, "failed")
    app = make_app()
    scanner_of(app).scan_once()
    page = app.test_client().get("/run/spt/run").text
    assert "No log found to say why it failed" in page and "--logs" in page and f"SLURM job {JOB}" in page


def test_a_logs_template_finds_the_job_output(make_app, runs_root, tmp_path):
    (tmp_path / f"{JOB}_3.err").write_text("loading data\n" + TRACEBACK)
    replayed(runs_root, "failed")
    app = make_app(
        log_templates=(str(tmp_path / "{slurm_job_id}_{slurm_array_task_id}.err"), "/nowhere/{hp[missing]}.out")
    )
    scanner_of(app).scan_once()
    page = app.test_client().get("/run/spt/run").text
    assert "Why it failed" in page and "RuntimeError: CUDA error" in page and f"template:{JOB}_3.err" in page
