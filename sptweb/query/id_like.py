"""Which hparams identify a run rather than configure it (job ids, hosts, output paths): grouping by
them puts every run alone, and a config diff full of them hides the differences that matter."""

from __future__ import annotations

import re

# The last word of a key that names an identifier: slurm.job_id, slurm.nodelist, master_port, host.
ID_WORDS = {"id", "uuid", "jobid", "pid", "host", "hostname", "node", "nodelist", "nodename", "port"}


def is_id_like(key: str, values: list) -> bool:
    """`values` are the runs' values of `key` (one per run, None when absent)."""
    words = [word for word in re.split(r"[._/\-\s]+", key.lower()) if word]
    if words and words[-1] in ID_WORDS:
        return True
    present = [value for value in values if value is not None]
    # a different string for every run (a run dir, a wandb id): more than two runs, or it proves nothing
    return len(present) > 2 and all(isinstance(value, str) for value in present) and len(set(present)) == len(present)
