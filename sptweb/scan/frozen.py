"""The scan's immutable records, cheap to make: frozen for the type checker, plain slots at run time.

A walk makes (and a restart, or a walk process's results, unpickles) several records per run:
at 100,000 runs, some 400,000 objects. A `frozen=True` dataclass sets each field through
`object.__setattr__`, to get past its own guard: 3.9 µs for 13 fields on the 2-core VM, against
0.5 µs for the same class unfrozen; it was most of what the server spent taking in the results
of a first walk in processes. So these classes are frozen where that is checked: by mypy (PEP
681's `frozen_default`: assigning to a field of one in the packages it checks fails CI), and by
the tests, which run with SPTWEB_FROZEN_RECORDS=1 (tests/frozen_guard.py): truly frozen there,
so a test that reaches code assigning to one (web/ and query/ included) fails. Equality and
hashing are a frozen dataclass's either way (`unsafe_hash`: by the fields).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TypeVar, dataclass_transform

T = TypeVar("T")

GUARDED = os.environ.get("SPTWEB_FROZEN_RECORDS") == "1"  # read once, as the classes are made


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen_record(cls: type[T]) -> type[T]:
    """`@frozen_record` on a class: a slotted dataclass that mypy treats as frozen."""
    if GUARDED:
        return dataclass(frozen=True, slots=True)(cls)
    return dataclass(slots=True, unsafe_hash=True)(cls)
