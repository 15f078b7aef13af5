"""Several runs roots in one table, and roots that do not exist yet."""

from __future__ import annotations

import os

from sptweb.scan import scanner_of


def test_several_roots_share_one_table_with_labelled_ids(make_app, tmp_path, make_run, runs_root):
    team = tmp_path / "team" / "runs"  # the same folder name as runs_root: labels are made unique
    (team / "p" / "r").mkdir(parents=True)
    make_run("p/r")
    (team / "p" / "r" / "sidecar.json").write_bytes((runs_root / "p" / "r" / "sidecar.json").read_bytes())
    app = make_app(runs_dir=os.pathsep.join([str(runs_root), str(team)]))
    scanner = scanner_of(app)
    scanner.scan_once()
    assert sorted(scanner.snapshot.runs) == ["runs-2/p/r", "runs/p/r"]
    client = app.test_client()
    assert client.get("/run/runs-2/p/r").status_code == 200  # bookmarkable
    only_team = client.get("/api/runs?filter=root=runs-2").json["runs"]
    assert [run["run_id"] for run in only_team] == ["runs-2/p/r"]
    assert "runs-2/</a>" in client.get("/").text  # a chip per root


def test_a_root_that_does_not_exist_yet_is_waited_for(make_app, tmp_path, make_run, runs_root):
    later = tmp_path / "later"
    app = make_app(runs_dir=str(later))
    scanner = scanner_of(app)
    scanner.scan_once()
    assert "Waiting for" in app.test_client().get("/").text and not scanner.snapshot.runs
    (later / "exp" / "r").mkdir(parents=True)
    (later / "exp" / "r" / "metrics.csv").write_text("step,loss\n0,1.0\n")
    scanner.scan_once()
    assert list(scanner.snapshot.runs) == ["exp/r"] and "Waiting for" not in app.test_client().get("/").text


def test_a_root_that_vanishes_keeps_its_runs_and_says_so(make_app, make_run, runs_root, tmp_path):
    make_run("exp/a")
    make_run("exp/b")
    app = make_app()
    scanner = scanner_of(app)
    scanner.scan_once()
    client = app.test_client()
    assert sorted(scanner.snapshot.runs) == ["exp/a", "exp/b"]
    hidden = tmp_path / "unmounted"
    runs_root.rename(hidden)  # what an unmounted share looks like from here
    scanner.scan_once()
    page = client.get("/").text
    assert "has vanished" in page and "No runs under" not in page
    assert sorted(scanner.snapshot.runs) == ["exp/a", "exp/b"]  # as last seen, not an empty table
    assert client.get("/api/scan").json["vanished"] == [str(runs_root)]
    assert client.get("/run/exp/a").status_code == 200
    hidden.rename(runs_root)
    (runs_root / "exp" / "b" / "sidecar.json").unlink()
    (runs_root / "exp" / "b" / "metrics.csv").unlink(missing_ok=True)
    scanner.scan_once()
    assert list(scanner.snapshot.runs) == ["exp/a"] and "has vanished" not in client.get("/").text
