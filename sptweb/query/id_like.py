"""Which hparams identify a run rather than configure it (job ids, hosts, output paths): grouping by
them puts every run alone, and a config diff full of them hides the differences that matter.

The one rule for both (`-seed` groups in run_groups.py, the config diff in config_diff.py)."""

from __future__ import annotations

import re

# The last word of a key that names an identifier or a place: slurm.job_id, slurm.nodelist, master_port,
# host, output_dir, data.path.
ID_WORDS = {
    "id", "ids", "uuid", "jobid", "pid", "host", "hostname", "node", "nodelist", "nodename", "port",
    "dir", "path", "timestamp",
}  # fmt: skip
ID_SECTIONS = {"slurm"}  # under slurm.: where and as what SLURM ran the job, never what it tried
PATH_STARTS = ("/", "~/")


def is_id_like(key: str, values: list) -> bool:
    """`values` are the runs' values of `key` (one per run, None when absent)."""
    words = [word for word in re.split(r"[._/\-\s]+", key.lower()) if word]
    if words and (words[-1] in ID_WORDS or not ID_SECTIONS.isdisjoint(words[:-1])):
        return True
    present = [value for value in values if value is not None]
    if any(isinstance(value, str) and value.startswith(PATH_STARTS) for value in present):
        return True  # a path names where a run wrote, not what it tried
    # a different string for every run (a run dir, a wandb id): more than two runs, or it proves nothing
    return len(present) > 2 and all(isinstance(value, str) for value in present) and len(set(present)) == len(present)
