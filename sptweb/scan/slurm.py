"""What SLURM knows of the runs' jobs, asked in batches: one `squeue` and one `scontrol` per cycle at most.

On a login node with SLURM's tools, a `running` run whose job left the queue
is lost (killed, out of time, node failure: the writer never got to say), and
a run spt marked `finished` on a requeue signal is waiting or training again.
`scontrol` also names each job's stdout and stderr files, which spt runs have
nowhere else; those paths are kept on the run records (and so in the
persisted index), because slurmctld forgets a job minutes after it ends.

Without the tools nothing is asked and nothing changes. Answers are cached
for JOB_CACHE_S, so ten thousand runs cost two calls every half minute.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

JOB_CACHE_S = 30.0  # slurmctld is shared by everyone on the cluster: ask rarely
CALL_TIMEOUT_S = 10.0  # a hung controller must not stall the scanner for long
GONE = "GONE"  # not in the queue any more: ended, for better or worse
QUEUED_STATES = frozenset({"PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "CONFIGURING", "SUSPENDED"})
MAX_IDS_PER_CALL = 500  # keeps one command line well under any argument limit


@dataclass
class SlurmWatcher:
    squeue: str | None = field(default_factory=lambda: shutil.which("squeue"))
    scontrol: str | None = field(default_factory=lambda: shutil.which("scontrol"))
    _states: dict[str, str] = field(default_factory=dict)
    _states_at: float = float("-inf")
    _logs_at: float = float("-inf")

    @property
    def available(self) -> bool:
        return self.squeue is not None

    def states(self, job_ids: set[str], now: float) -> dict[str, str]:
        """State per job id (`RUNNING`, `PENDING`, … or GONE); {} when SLURM cannot be asked."""
        if not self.available or not job_ids:
            return {}
        if now - self._states_at >= JOB_CACHE_S or not job_ids <= self._states.keys():
            fresh = self._ask_squeue(sorted(job_ids))
            if fresh is not None:
                self._states, self._states_at = fresh, now
        return self._states

    def log_paths(self, job_ids: set[str], now: float) -> dict[str, tuple[str, ...]]:
        """(stdout, stderr) paths of the jobs slurmctld still knows; asked at most every JOB_CACHE_S."""
        if self.scontrol is None or not job_ids or now - self._logs_at < JOB_CACHE_S:
            return {}
        self._logs_at = now
        output = self._run([self.scontrol, "-o", "show", "job"])
        if output is None:
            return {}
        paths = {}
        for line in output.splitlines():
            fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
            if fields.get("JobId") in job_ids:
                files = tuple(dict.fromkeys(fields[key] for key in ("StdOut", "StdErr") if fields.get(key)))
                paths[fields["JobId"]] = files
        return paths

    def _ask_squeue(self, job_ids: list[str]) -> dict[str, str] | None:
        states = {}
        for start in range(0, len(job_ids), MAX_IDS_PER_CALL):
            chunk = job_ids[start : start + MAX_IDS_PER_CALL]
            output = self._run([self.squeue, "-h", "-o", "%A %T", "-j", ",".join(chunk)], gone_ok=True)
            if output is None:
                return None
            listed = dict(line.split(None, 1) for line in output.splitlines() if len(line.split()) == 2)
            states.update({job_id: listed.get(job_id, GONE).strip() for job_id in chunk})
        return states

    def _run(self, command: list, gone_ok: bool = False) -> str | None:
        """The command's output, or None when SLURM could not answer (logged, never raised)."""
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=CALL_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("%s failed: %s", command[0], exc)
            return None
        if done.returncode != 0:
            if gone_ok and "Invalid job id" in done.stderr:
                return ""  # every job asked about has left the queue
            log.warning("%s exited %s: %s", command[0], done.returncode, done.stderr.strip()[:200])
            return None
        return done.stdout
