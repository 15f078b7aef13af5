"""Logs: discovery in each place, rank order, seek reads, rendering, search, API errors."""

import os

import pytest

from sptweb.logs import reader
from sptweb.logs.render import collapse_carriage_returns, render_line, render_lines
from sptweb.logs.search import compile_query, search


@pytest.fixture
def sweep_run(make_run, runs_root):
    """A sweep run with logs in all three places."""
    output_dir = runs_root / "proj" / "4000001_7"
    run_dir = make_run(
        "proj/4000001_7/run", tags=["sweep:4000001"], hparams={"output_dir": str(output_dir), "slurm.task_id": 7}
    )
    (run_dir / "train.out").write_text("hello from the run dir\n")
    (run_dir / "train.err").write_text("warning\n")
    (run_dir / "notes.txt").write_text("not a log\n")
    (output_dir / "slurm-123.log").write_text("slurm says hi\n")
    submitit = output_dir / ".submitit"
    submitit.mkdir()
    for rank in (0, 1, 2, 10):
        (submitit / f"4000001_7_{rank}_log.out").write_text(f"rank {rank} out\n")
        (submitit / f"4000001_7_{rank}_log.err").write_text(f"rank {rank} err\n")
    (submitit / "4000001_7_submitted.pkl").write_bytes(b"\x80")
    return run_dir


def streams(client, run_id):
    return client.get(f"/api/logs?run={run_id}").json["streams"]


def test_discovers_every_place_with_kinds_and_ranks_in_order(client, sweep_run, scan):
    scan()
    found = [(s["id"], s["kind"], s["rank"], s["place"]) for s in streams(client, "proj/4000001_7/run")]
    assert found == [
        ("run:train.out", "out", None, "run"),
        ("run:train.err", "err", None, "run"),
        ("output:slurm-123.log", "log", None, "output"),
        ("rank0.out", "out", 0, "submitit"),
        ("rank0.err", "err", 0, "submitit"),
        ("rank1.out", "out", 1, "submitit"),
        ("rank1.err", "err", 1, "submitit"),
        ("rank2.out", "out", 2, "submitit"),
        ("rank2.err", "err", 2, "submitit"),
        ("rank10.out", "out", 10, "submitit"),
        ("rank10.err", "err", 10, "submitit"),
    ]
    assert all(s["size"] > 0 for s in streams(client, "proj/4000001_7/run"))


def test_task_id_falls_back_to_the_run_id(client, make_run, runs_root, scan):
    output_dir = runs_root / "p" / "555_3"
    make_run("p/555_3", tags=["sweep:555"], hparams={"output_dir": str(output_dir)})
    (output_dir / ".submitit").mkdir()
    (output_dir / ".submitit" / "555_3_0_log.out").write_text("x\n")
    scan()
    assert [s["id"] for s in streams(client, "p/555_3")] == ["rank0.out"]


def test_new_log_files_appear_when_their_directory_changes(client, sweep_run, scan):
    scan()
    before = len(streams(client, "proj/4000001_7/run"))
    (sweep_run / "extra.out").write_text("new\n")
    os.utime(sweep_run, None)
    assert len(streams(client, "proj/4000001_7/run")) == before + 1


def test_tail_of_a_file_larger_than_the_window_starts_on_a_line_boundary(tmp_path):
    path = tmp_path / "big.log"
    lines = [f"line {index:06d} " + "x" * (index % 50) for index in range(40_000)]
    path.write_text("\n".join(lines) + "\n")
    chunk = reader.read_tail(str(path), window=100_000)
    assert chunk.start > 0 and chunk.end == path.stat().st_size
    text = chunk.data.decode()
    assert text.startswith("line ") and text.endswith("\n")
    assert text.splitlines()[-1] == lines[-1]
    with open(path, "rb") as handle:
        handle.seek(chunk.start - 1)
        assert handle.read(1) == b"\n"  # the window begins right after a newline
    earlier = reader.read_before(str(path), chunk.start, window=100_000)
    assert earlier.end == chunk.start and earlier.data.decode().startswith("line ")


def test_offset_reads_while_the_file_grows(tmp_path):
    path = tmp_path / "live.log"
    path.write_bytes(b"one\ntwo\nthr")
    first = reader.read_tail(str(path))
    assert first.data == b"one\ntwo\n" and first.partial == b"thr" and first.end == 8
    with open(path, "ab") as handle:
        handle.write(b"ee\nfour\n")
    follow = reader.read_after(str(path), first.end)
    assert follow.data == b"three\nfour\n" and follow.partial == b""  # only the new bytes (and the finished line)
    assert reader.read_after(str(path), follow.end).data == b""


def test_follower_far_behind_skips_to_the_tail(tmp_path):
    path = tmp_path / "fast.log"
    path.write_bytes(b"".join(b"%08d\n" % index for index in range(1_000_000)))
    chunk = reader.read_after(str(path), 0, limit=1 << 20)
    assert chunk.skipped > 0 and chunk.end == path.stat().st_size


def test_ansi_colours_become_classes_and_everything_is_escaped():
    html = str(render_line("\x1b[1;31mERROR\x1b[0m <script>alert(1)</script> \x1b[2K\x1b[32mok\x1b[39m"))
    assert '<span class="ansi-bold ansi-fg-31">ERROR</span>' in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert '<span class="ansi-fg-32">ok</span>' in html and "\x1b" not in html


def test_carriage_return_progress_bars_collapse_to_their_final_state():
    assert collapse_carriage_returns(" 10%|#  |\r 50%|### |\r100%|####|") == "100%|####|"
    assert collapse_carriage_returns("done\r") == "done"  # CRLF ending
    assert [str(line) for line in render_lines(b"a\r\nstep 1\rstep 2\nend\n")] == ["a", "step 2", "end"]


def test_invalid_utf8_is_replaced_not_fatal():
    assert str(render_lines(b"caf\xe9 \xff\n")[0]) == "caf\ufffd \ufffd"


def test_search_streams_matches_with_line_numbers_across_chunks(tmp_path, monkeypatch):
    import sptweb.logs.search as search_module

    monkeypatch.setattr(search_module, "CHUNK", 64)  # force many chunk boundaries
    path = tmp_path / "s.log"
    path.write_text("".join(f"{'ERROR' if index % 7 == 0 else 'info'} line {index}\n" for index in range(1, 200)))
    matches = list(search(str(path), compile_query("error", regex=False)))
    assert [match.line for match in matches] == [index for index in range(1, 200) if index % 7 == 0]
    assert matches[0].text == "ERROR line 7"
    limited = list(search(str(path), compile_query(r"line \d*5$", regex=True), limit=3))
    assert [match.line for match in limited] == [5, 15, 25]
    assert list(search(str(path), compile_query("Error", regex=False))) == []  # a capital means exact case


def test_api_reads_tail_offset_and_before(client, sweep_run, scan):
    scan()
    tail = client.get("/api/log?run=proj/4000001_7/run&stream=run:train.out").json
    assert tail["text"] == "hello from the run dir\n" and tail["next_offset"] == tail["size"]
    with open(sweep_run / "train.out", "a") as handle:
        handle.write("more\n")
    newer = client.get(f"/api/log?run=proj/4000001_7/run&stream=run:train.out&offset={tail['next_offset']}").json
    assert newer["text"] == "more\n"


def test_api_search_streams_ndjson(client, sweep_run, scan):
    scan()
    response = client.get("/api/log/search?run=proj/4000001_7/run&stream=rank2.err&q=err")
    lines = response.text.strip().splitlines()
    assert response.mimetype == "application/x-ndjson"
    assert '"line":1' in lines[0] and '"done":true' in lines[-1]


def test_raw_download(client, sweep_run, scan):
    scan()
    with client.get("/api/log/raw?run=proj/4000001_7/run&stream=rank1.out") as response:  # closes the file
        assert response.data == b"rank 1 out\n" and "attachment" in response.headers["Content-Disposition"]


@pytest.mark.parametrize(
    "url, status",
    [
        ("/api/log?run=nope&stream=run:train.out", 404),
        ("/api/log?run=proj/4000001_7/run&stream=run:nope.out", 404),
        ("/api/log?run=proj/4000001_7/run&stream=../../../etc/passwd", 404),
        ("/api/log?run=proj/4000001_7/run&stream=run:notes.txt", 404),
        ("/api/log?run=proj/4000001_7/run&stream=/etc/passwd", 404),
        ("/api/log/raw?run=proj/4000001_7/run&stream=run:../sidecar.json", 404),
        ("/api/log?run=proj/4000001_7/run", 400),
        ("/api/log?run=proj/4000001_7/run&stream=run:train.out&offset=-5", 400),
        ("/api/log/search?run=proj/4000001_7/run&stream=rank0.out&q=(&regex=1", 400),
    ],
)
def test_unknown_run_or_stream_is_404_and_no_path_escapes(client, sweep_run, scan, url, status):
    scan()
    response = client.get(url)
    assert response.status_code == status and response.json["error"]


def test_logs_tab_renders_tail_rank_nav_and_follower(client, sweep_run, scan, make_run):
    make_run(
        "proj/4000001_7/run",
        status="running",
        ended_at=None,
        heartbeat_age=1,
        tags=["sweep:4000001"],
        hparams={"output_dir": str(sweep_run.parent), "slurm.task_id": 7},
    )
    scan()
    html = client.get("/run/proj/4000001_7/run?tab=logs&stream=rank1.err").text
    assert "rank 1 err" in html and 'id="log-follow"' in html
    assert "◀ prev" in html and "next ▶" in html
    jumped = client.get("/run/proj/4000001_7/run?tab=logs&rank=10&kind=err").text
    assert "rank 10 err" in jumped


def test_log_fragments_after_before_and_search(client, sweep_run, scan):
    scan()
    size = (sweep_run / "train.out").stat().st_size
    with open(sweep_run / "train.out", "a") as handle:
        handle.write("\x1b[31mboom\x1b[0m\n")
    after = client.get(f"/logs/after?run=proj/4000001_7/run&stream=run:train.out&after={size}").text
    assert '<span class="ansi-fg-31">boom</span>' in after and "hello" not in after
    assert f'id="log-partial-{size}" hx-swap-oob="delete"' in after
    found = client.get("/logs/search?run=proj/4000001_7/run&stream=run:train.out&q=boom").text
    assert "1 matching line" in found and "at=" in found


def test_logs_tab_default_stream_with_ranks_and_run_dir_logs(client, sweep_run, scan):
    scan()
    response = client.get("/run/proj/4000001_7/run?tab=logs")
    assert response.status_code == 200
    assert "hello from the run dir" in response.text and "rank0.out" in response.text  # ranks still one click away
    log_only = client.get("/run/proj/4000001_7/run?tab=logs&stream=output:slurm-123.log")
    assert log_only.status_code == 200 and "slurm says hi" in log_only.text


def test_osc_and_lone_escape_bytes_never_reach_the_html():
    html = str(render_line("a\x1b]8;;http://evil\x07link\x1b]8;;\x07 b\x1b]0;title\x1b\\ c\x1b d\x1b[31mred"))
    assert "\x1b" not in html and "\x07" not in html and "evil" not in html and "title" not in html
    assert html.startswith("alink b c d") and "red" in html
