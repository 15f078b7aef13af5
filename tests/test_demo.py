"""Tests for the demo run-tree generator and the live writer (sptweb.demo)."""

from __future__ import annotations

import json
import struct
import time
import zlib

import pytest

from sptweb.demo import LiveWriter, write_demo_tree
from sptweb.demo.images import PNG_SIGNATURE, encode_gif, encode_png, heat_palette, rollout_frames
from sptweb.demo.live import read_last_step

STALE_AFTER = 300


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One demo tree shared by the read-only tests: (root, run dirs, now)."""
    root = tmp_path_factory.mktemp("demo")
    now = time.time()
    return root, write_demo_tree(root, seed=0, now=now), now


def load_sidecars(run_dirs):
    """run_dir -> parsed sidecar, skipping the ones that are not valid JSON."""
    sidecars = {}
    for run_dir in run_dirs:
        try:
            sidecars[run_dir] = json.loads((run_dir / "sidecar.json").read_text())
        except ValueError:
            continue
    return sidecars


def running_runs(run_dirs, *, stale):
    """Run dirs whose sidecar says running, filtered by heartbeat staleness."""
    now = time.time()
    return [
        run_dir
        for run_dir, sidecar in load_sidecars(run_dirs).items()
        if sidecar["status"] == "running" and (now - (run_dir / "heartbeat").stat().st_mtime > STALE_AFTER) == stale
    ]


def test_returns_about_30_run_dirs_each_with_a_sidecar(demo):
    root, run_dirs, _ = demo
    assert 28 <= len(run_dirs) <= 36
    assert all((run_dir / "sidecar.json").is_file() for run_dir in run_dirs)
    assert {p.parent for p in root.rglob("sidecar.json")} == set(run_dirs)


def test_sweep_run_ids_follow_output_dir_layout(demo):
    root, run_dirs, _ = demo
    ids = {run_dir.relative_to(root).as_posix() for run_dir in run_dirs}
    assert "proj-vit/4000001_3/run" in ids
    assert {"scratch/debug-local", "scratch/broken-run"} <= ids
    sidecar = json.loads((root / "proj-vit/4000001_3/run/sidecar.json").read_text())
    assert sidecar["hparams"]["output_dir"] == str(root / "proj-vit/4000001_3")
    assert sidecar["hparams"]["slurm.task_id"] == 3
    assert "sweep:4000001" in sidecar["tags"]


def test_metrics_headers_have_epoch_and_step_and_rows_are_sparse(demo):
    _, run_dirs, _ = demo
    csvs = [run_dir / "metrics.csv" for run_dir in run_dirs if (run_dir / "metrics.csv").exists()]
    assert len(csvs) >= 28
    for path in csvs:
        lines = path.read_text().splitlines()
        header = lines[0].split(",")
        assert {"epoch", "step"} <= set(header)
        assert 1000 < len(lines) < 50_000
        val_col = header.index("val/loss")
        train_col = header.index("train/loss")
        rows = [line.split(",") for line in lines[1:]]
        assert all(len(row) == len(header) for row in rows)
        assert any(row[val_col] and not row[train_col] for row in rows)
        assert any(row[train_col] and not row[val_col] for row in rows)


def test_exactly_one_sidecar_is_not_json(demo):
    _, run_dirs, _ = demo
    broken = []
    for run_dir in run_dirs:
        try:
            json.loads((run_dir / "sidecar.json").read_text())
        except ValueError:
            broken.append(run_dir.name)
    assert broken == ["broken-run"]


def test_statuses_cover_running_completed_failed_orphaned(demo):
    _, run_dirs, _ = demo
    statuses = [sidecar["status"] for sidecar in load_sidecars(run_dirs).values()]
    assert {"running", "completed", "failed", "orphaned"} <= set(statuses)
    assert statuses.count("running") == 4  # three fresh, one stale


def test_one_stale_run_and_three_fresh_running_runs(demo):
    _, run_dirs, _ = demo
    assert len(running_runs(run_dirs, stale=True)) == 1
    assert len(running_runs(run_dirs, stale=False)) == 3
    stale_dir = running_runs(run_dirs, stale=True)[0]
    assert time.time() - (stale_dir / "heartbeat").stat().st_mtime > STALE_AFTER


def test_some_summary_holds_a_bare_nan_token(demo):
    _, run_dirs, _ = demo
    texts = [(run_dir / "sidecar.json").read_text() for run_dir in run_dirs]
    assert any('"train/loss": NaN' in text for text in texts)


def test_completed_runs_have_summary_json_stats(demo):
    _, run_dirs, _ = demo
    for run_dir, sidecar in load_sidecars(run_dirs).items():
        if sidecar["status"] == "completed":
            summary = json.loads((run_dir / "summary.json").read_text())
            stats = summary["metrics"]["train/loss"]
            assert set(stats) == {"last", "min", "max", "count"}
            assert stats["min"] <= stats["last"] <= stats["max"]
            assert summary["step"] > 0


def _png_chunks(data: bytes):
    offset = len(PNG_SIGNATURE)
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, payload = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + payload) & 0xFFFFFFFF == crc
        yield kind, payload
        offset += 12 + length


def test_png_encoder_writes_valid_chunks_and_pixels():
    import numpy as np

    rgb = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    chunks = dict(_png_chunks(encode_png(rgb)))
    width, height = struct.unpack(">II", chunks[b"IHDR"][:8])
    raw = zlib.decompress(chunks[b"IDAT"])
    assert (width, height) == (5, 4)
    assert raw == b"".join(b"\x00" + rgb[row].tobytes() for row in range(4))


def test_gif_encoder_writes_a_looping_gif89a():
    gif = encode_gif(rollout_frames(seed=1, frames=3, size=16), heat_palette(), fps=4)
    assert gif.startswith(b"GIF89a") and gif.endswith(b";")
    assert b"NETSCAPE2.0" in gif and gif.count(b"\x21\xf9\x04") == 3


def test_media_files_are_pngs_and_every_event_path_exists(demo):
    _, run_dirs, _ = demo
    media_runs = [run_dir for run_dir in run_dirs if (run_dir / "media.jsonl").exists()]
    assert len(media_runs) >= 5
    kinds = set()
    for run_dir in media_runs:
        for line in (run_dir / "media.jsonl").read_text().splitlines():
            event = json.loads(line)
            path = run_dir / event["path"]
            assert path.is_file() and path.resolve().is_relative_to(run_dir / "media")
            kinds.add(event["type"])
            if event["type"] == "image":
                assert path.read_bytes().startswith(PNG_SIGNATURE)
            else:
                assert event["format"] == "gif" and event["fps"] == 4
    assert kinds == {"image", "video"}


def test_submitit_logs_exist_for_ranks_0_to_3(demo):
    root, _, _ = demo
    submitit = root / "proj-vit/4000001_3/.submitit"
    for rank in range(4):
        for stream in ("out", "err"):
            assert (submitit / f"4000001_3_{rank}_log.{stream}").stat().st_size > 0
    rank0 = (submitit / "4000001_3_0_log.out").read_text()
    rank1 = (submitit / "4000001_3_1_log.out").read_text()
    assert len(rank0) > len(rank1)


def test_failed_runs_end_with_a_traceback_in_their_err_logs(demo):
    root, _, _ = demo
    oom_err = (root / "proj-vit/4000001_4/.submitit/4000001_4_2_log.err").read_text()
    assert "Traceback (most recent call last):" in oom_err
    assert oom_err.rstrip().splitlines()[-1].startswith("torch.OutOfMemoryError: CUDA out of memory")


def test_run_dir_logs_hold_ansi_carriage_returns_and_invalid_utf8(demo):
    root, _, _ = demo
    out = (root / "scratch/debug-local/train.out").read_bytes()
    err = (root / "scratch/debug-local/train.err").read_bytes()
    assert b"\x1b[32m" in out and b"\r" in err
    with pytest.raises(UnicodeDecodeError):
        out.decode("utf-8")


def test_same_seed_and_now_give_identical_content(demo, tmp_path):
    root, run_dirs, now = demo
    again = write_demo_tree(tmp_path, seed=0, now=now)
    for first, second in zip(run_dirs, again):
        if (first / "metrics.csv").exists():
            assert (first / "metrics.csv").read_bytes() == (second / "metrics.csv").read_bytes()
        first_text = (first / "sidecar.json").read_text().replace(str(root), "<root>")
        assert first_text == (second / "sidecar.json").read_text().replace(str(tmp_path), "<root>")


def test_read_last_step_skips_a_half_written_last_line(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,step,train/loss\n0,0,2.5\n0,1,2.4\n0,2,2.")
    assert read_last_step(path, ["epoch", "step", "train/loss"]) == (1, True)


def test_live_writer_tick_appends_whole_lines_and_touches_heartbeat(tmp_path):
    run_dirs = write_demo_tree(tmp_path, seed=0)
    live_dir = running_runs(run_dirs, stale=False)[0]
    stale_csv = running_runs(run_dirs, stale=True)[0] / "metrics.csv"
    stale_before = stale_csv.stat()
    metrics = live_dir / "metrics.csv"
    before_lines = metrics.read_text().splitlines()
    before_heartbeat = (live_dir / "heartbeat").stat().st_mtime

    written = LiveWriter(tmp_path).tick()

    text = metrics.read_text()
    new_lines = text.splitlines()[len(before_lines) :]
    assert live_dir in written and len(written) == 3
    assert text.endswith("\n") and new_lines
    header = before_lines[0].split(",")
    step_col = header.index("step")
    assert all(len(line.split(",")) == len(header) for line in new_lines)
    assert int(new_lines[0].split(",")[step_col]) == int(before_lines[-1].split(",")[step_col]) + 1
    assert (live_dir / "heartbeat").stat().st_mtime > before_heartbeat
    # The stale run is left alone: same size and mtime.
    stale_after = stale_csv.stat()
    assert (stale_after.st_size, stale_after.st_mtime) == (stale_before.st_size, stale_before.st_mtime)


def test_live_writer_rewrites_sidecar_and_logs_progress_every_ten_ticks(tmp_path):
    run_dirs = write_demo_tree(tmp_path, seed=0)
    live_dir = running_runs(run_dirs, stale=False)[0]
    before = json.loads((live_dir / "sidecar.json").read_text())
    task = before["hparams"]["slurm.task_id"]
    rank0_log = live_dir.parent / ".submitit" / f"4000003_{task}_0_log.out"
    log_size = rank0_log.stat().st_size
    writer = LiveWriter(tmp_path)
    for _ in range(10):
        writer.tick()
    after = json.loads((live_dir / "sidecar.json").read_text())
    assert after["updated_at"] > before["updated_at"]
    assert after["status"] == "running"
    assert after["summary"]["train/loss"] != before["summary"]["train/loss"]
    assert not list(live_dir.glob(".sidecar.json.*.tmp"))
    assert rank0_log.stat().st_size > log_size and rank0_log.read_text().endswith("\n")


def test_live_writer_thread_starts_and_stops(tmp_path):
    writer = LiveWriter(tmp_path, interval=3600)
    writer.start()
    writer.stop()
    assert writer._thread is None


def test_the_demo_shows_real_spt_runs_and_trains_one_live(tmp_path, make_app, runs_root):
    from sptweb.demo import LiveWriter, live_recorded_run, write_recorded_runs
    from sptweb.demo.replay import LIVE_SECONDS
    from sptweb.scan import scanner_of

    write_recorded_runs(runs_root)
    started = time.time()
    live = live_recorded_run(runs_root, now=started)
    writer = LiveWriter(runs_root)
    writer.replays.append(live)
    scanner = scanner_of(make_app())
    scanner.scan_once()
    statuses = sorted(run.meta.status for run in scanner.snapshot.runs.values() if run.kind == "spt")
    assert statuses == ["completed", "completed", "failed", "running"]
    assert sorted(run.kind for run in scanner.snapshot.runs.values() if run.kind != "spt") == ["csv", "tensorboard"]
    assert live.advance(started + LIVE_SECONDS / 2) > 0 and not live.done  # half way: training
    scanner.scan_once()
    run = next(run for run in scanner.snapshot.runs.values() if run.path == str(live.run_dir))
    assert run.meta.status == "running" and run.name == live.run_dir.name  # renamed consistently
    live.advance(started + LIVE_SECONDS + 1)
    scanner.scan_once()
    assert scanner.snapshot.get(run.run_id).meta.status == "completed"
