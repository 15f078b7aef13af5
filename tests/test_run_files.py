"""RunFiles: a run's file signatures packed into one int, read back field by field."""

from __future__ import annotations

import os
import pickle
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from sptweb.scan.file_sigs import RUN_FILE_FIELDS, SIG_BITS, RunFiles, file_sig, sig_time

SIGNATURES = st.one_of(st.none(), st.integers(1, (1 << SIG_BITS) - 1))
FILES = st.fixed_dictionaries({name: SIGNATURES for name in RUN_FILE_FIELDS})


@given(FILES, FILES)
def test_every_signature_comes_back_and_equality_is_all_of_them(first, second):
    files = RunFiles(**first)
    assert {name: getattr(files, name) for name in RUN_FILE_FIELDS} == first
    assert (files == RunFiles(**second)) == (first == second)
    assert pickle.loads(pickle.dumps(files)) == files and type(pickle.loads(pickle.dumps(files))) is RunFiles


@given(FILES)
def test_the_newest_write_is_of_the_files_a_job_keeps_writing(signatures):
    written = ("heartbeat", "metrics", "media", "summary", "checkpoints", "events")
    times = [sig_time(signatures[name]) for name in written if signatures[name]]
    assert RunFiles(**signatures).newest_write == (max(times) if times else None)


def test_a_time_past_year_2554_keeps_the_other_signatures_apart(tmp_path):
    """A mtime wider than 64 bits of nanoseconds (a filesystem that stores one, a hostile writer) must
    not spill into the next file's bits. (ext4 itself stops at 2446.)"""
    near = tmp_path / "near"
    near.write_text("y")
    far = SimpleNamespace(st_mtime_ns=10**21, st_ino=12, st_size=3)  # year ~33,700
    files = RunFiles(sidecar=file_sig(far), metrics=file_sig(os.stat(near)))
    assert files.metrics == file_sig(os.stat(near))
    assert files.sidecar == file_sig(far) and sig_time(files.sidecar) == ((1 << 64) - 1) / 1e9
