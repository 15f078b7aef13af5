"""Run records: frozen under the tests (and for mypy), plain slotted classes at run time (sptweb/scan/frozen.py)."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

from sptweb.scan.file_sigs import RunFiles
from sptweb.scan.records import RunRecord
from sptweb.scan.sidecar import SidecarMeta
from sptweb.scan.walker import Listing


def test_under_the_tests_an_assignment_to_a_record_raises():
    run = RunRecord(run_id="proj/1_0/run", path="/runs/proj/1_0/run", meta=SidecarMeta(), files=RunFiles())
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.run_id = "another"  # type: ignore[misc]
    assert run.run_id == "proj/1_0/run"


AT_RUN_TIME = """
from sptweb.scan.walker import Listing
one, same, other = (Listing(1, ("run",), True, path=p) for p in ("/a", "/a", "/b"))
print(Listing.__dataclass_params__.frozen, one == same, hash(one) == hash(same), one != other, len({one, same, other}))
"""


def test_at_run_time_records_are_unguarded_but_compare_and_hash_by_their_fields():
    env = {name: value for name, value in os.environ.items() if name != "SPTWEB_FROZEN_RECORDS"}
    done = subprocess.run([sys.executable, "-c", AT_RUN_TIME], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True", "True", "True", "2"]
    assert Listing.__dataclass_params__.frozen  # (this process: the tests' guard)
