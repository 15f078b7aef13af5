"""One number format per table column, so that decimal points line up down the column."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class NumberFormat:
    """One format for every number of a column, so that decimal points line up down the column."""

    scientific: bool = False
    decimals: int = 0  # after the point (of the mantissa, when scientific)

    def __call__(self, value) -> str | None:
        """The value formatted, or None for what is not a finite number (text, booleans, NaN)."""
        if not is_number(value):
            return None
        return f"{value:.{self.decimals}{'e' if self.scientific else 'f'}}"


SIGNIFICANT = 5  # digits a metric shows: 0.91234, 12.345
HPARAM_SIGNIFICANT = 6  # hparams are chosen numbers: show them (nearly) as written
HUGE = 1e9  # more digits than a column can show at a glance
WIDE_RANGE = 1000  # a column whose non-zero magnitudes span more than this reads better as 1.5e-06


def column_format(values: list, column: str) -> NumberFormat | None:
    """The format for a column's numbers: as many decimals as its values need, but no more than the
    largest value's significant digits allow; scientific when magnitudes differ too much for that."""
    numbers = [abs(float(value)) for value in values if is_number(value)]
    if not numbers:
        return None
    significant = HPARAM_SIGNIFICANT if column.startswith("hp.") else SIGNIFICANT
    nonzero = [number for number in numbers if number > 0]
    if not nonzero or (all(number.is_integer() for number in numbers) and max(numbers) < HUGE):
        return NumberFormat(decimals=0)
    largest, smallest = max(nonzero), min(nonzero)
    if largest / smallest > WIDE_RANGE or largest >= HUGE:
        return NumberFormat(scientific=True, decimals=max(_mantissa_decimals(n, significant) for n in nonzero))
    needed = max(_decimals_needed(number, significant) for number in numbers)
    return NumberFormat(decimals=min(needed, max(0, significant - 1 - math.floor(math.log10(largest)))))


def _decimals_needed(number: float, significant: int) -> int:
    """Decimals that show `number` to `significant` digits, trailing zeros dropped (0.35 needs 2)."""
    if number == 0:
        return 0
    digits = max(0, significant - 1 - math.floor(math.log10(number)))
    text = f"{number:.{digits}f}".rstrip("0")
    return len(text.partition(".")[2])


def _mantissa_decimals(number: float, significant: int) -> int:
    mantissa = f"{number:.{significant - 1}e}".partition("e")[0].rstrip("0")
    return len(mantissa.partition(".")[2])


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
