"""A run's file signatures: which of its files exist, and each one's (mtime, inode, size), as ints.

A poll compares them to know what changed without reading anything; they are held for every run,
so they are packed tight (RunFiles).
"""

from __future__ import annotations

# A file's (mtime_ns, st_ino, st_size) packed into one int (file_sig), or None when it does not
# exist: equal exactly when all three are. One object instead of a tuple of three ints: at 100,000
# runs with three files each, 35 MB and 900,000 objects less to hold, pickle and unpickle.
FileSig = int | None


SIG_BITS = 192  # a FileSig's width: 64 bits each of mtime_ns, inode and size
_SIG_MASK = (1 << SIG_BITS) - 1
_TIME_MAX_NS = (1 << 64) - 1  # year 2554: a later mtime (a hostile file's) counts as that


def file_sig(st) -> int:
    """Never 0: no file has inode 0. (A time before 1970 counts as 1970: only equality matters.)"""
    return min(max(st.st_mtime_ns, 0), _TIME_MAX_NS) << 128 | st.st_ino << 64 | st.st_size


def sig_time(sig: int) -> float:
    """The file's mtime in epoch seconds."""
    return (sig >> 128) / 1e9


# The files whose change means the run changed, in the order RunFiles packs them.
RUN_FILE_FIELDS = (
    "sidecar",
    "metrics",
    "media",
    "heartbeat",
    "overlay",  # the viewer's own edits (overlay.py)
    "summary",  # spt's summary.json (per-metric last/min/max/count)
    "run_meta",  # spt's run_meta.json (SLURM ids)
    "checkpoints",  # the checkpoints/ directory: its mtime moves when a checkpoint is saved
    "hparams",  # Lightning's hparams.yaml (read for runs without a readable sidecar)
    "events",  # the newest TensorBoard event file
)
_PRESENT_BITS = len(RUN_FILE_FIELDS)
# The files a training job keeps writing (the sidecar says its own time): newest_write.
_WRITTEN_MASK = sum(
    1 << RUN_FILE_FIELDS.index(name) for name in ("heartbeat", "metrics", "media", "summary", "checkpoints", "events")
)
_PRESENT_MASK = (1 << _PRESENT_BITS) - 1


class RunFiles(int):
    """Stat signatures (FileSig) of a run's files, as attributes named as RUN_FILE_FIELDS; None: absent.

    Packed into one int: its low bits say which files exist, then come their signatures, in
    RUN_FILE_FIELDS order. Equal exactly when every signature is. One object of ~100 bytes per
    run, where a 10-slot record and an int per file took ~270 (17 MB at 100,000 runs).
    """

    __slots__ = ()

    def __new__(
        cls,
        sidecar: FileSig = None,
        metrics: FileSig = None,
        media: FileSig = None,
        heartbeat: FileSig = None,
        overlay: FileSig = None,
        summary: FileSig = None,
        run_meta: FileSig = None,
        checkpoints: FileSig = None,
        hparams: FileSig = None,
        events: FileSig = None,
    ) -> RunFiles:
        packed, shift = 0, _PRESENT_BITS
        sigs = (sidecar, metrics, media, heartbeat, overlay, summary, run_meta, checkpoints, hparams, events)
        for bit, sig in enumerate(sigs):
            if sig is not None:
                packed |= 1 << bit | (sig & _SIG_MASK) << shift
                shift += SIG_BITS
        return super().__new__(cls, packed)

    def _present(self) -> list[tuple[int, int]]:
        """(field index, signature) of each file that exists."""
        present, flags, shift = [], self & _PRESENT_MASK, _PRESENT_BITS
        while flags:
            present.append(((flags & -flags).bit_length() - 1, self >> shift & _SIG_MASK))
            flags &= flags - 1  # the lowest file done
            shift += SIG_BITS
        return present

    def _sig(self, bit: int) -> FileSig:
        if not self >> bit & 1:
            return None
        before = (self & ((1 << bit) - 1)).bit_count()  # the files packed ahead of this one
        return self >> (_PRESENT_BITS + before * SIG_BITS) & _SIG_MASK

    sidecar = property(lambda self: self._sig(0))
    metrics = property(lambda self: self._sig(1))
    media = property(lambda self: self._sig(2))
    heartbeat = property(lambda self: self._sig(3))
    overlay = property(lambda self: self._sig(4))
    summary = property(lambda self: self._sig(5))
    run_meta = property(lambda self: self._sig(6))
    checkpoints = property(lambda self: self._sig(7))
    hparams = property(lambda self: self._sig(8))
    events = property(lambda self: self._sig(9))

    @property
    def heartbeat_mtime(self) -> float | None:
        heartbeat = self.heartbeat
        return sig_time(heartbeat) if heartbeat else None

    @property
    def newest_write(self) -> float | None:
        """The latest mtime among the files a training job keeps writing (the sidecar says its own time)."""
        newest, flags, shift = -1, self & _PRESENT_MASK, _PRESENT_BITS + 128  # 128: the mtime's place in a sig
        while flags:
            if flags & -flags & _WRITTEN_MASK and (mtime := self >> shift & _TIME_MAX_NS) > newest:
                newest = mtime
            flags &= flags - 1
            shift += SIG_BITS
        return newest / 1e9 if newest >= 0 else None

    def __reduce__(self):  # pickled as the packed int (__new__ takes the signatures, not that)
        return _unpacked, (int(self),)

    def __repr__(self) -> str:
        named = ", ".join(f"{RUN_FILE_FIELDS[bit]}={sig}" for bit, sig in self._present())
        return f"RunFiles({named})"


def _unpacked(packed: int) -> RunFiles:
    return int.__new__(RunFiles, packed)
