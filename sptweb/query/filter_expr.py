"""`filter=` expressions for the run table: `lr>=0.001; status=failed; sum.val/acc>0.5`.

Clauses are separated by `;` and all must hold. Operators: = != > >= < <= and
~ (contains, case-insensitive). Numbers compare numerically, anything else as
lower-cased text. A clause that does not parse is reported, not guessed at.
"""

from __future__ import annotations

import operator
import re

from ..scan.records import RunRecord, column_value

_CLAUSE = re.compile(r"^\s*(?P<key>[^<>=!~]+?)\s*(?P<op>>=|<=|!=|=|>|<|~)\s*(?P<value>.*?)\s*$")
_COMPARE = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


MAX_FILTER = 4096  # characters: a real filter is a line; a 16 KB one only costs time


def compile_filter(text: str):
    """(predicate over RunRecord, error message or None) for a filter expression."""
    if len(text) > MAX_FILTER:
        return (lambda run: True), f"filter is {len(text):,} characters; at most {MAX_FILTER:,}"
    clauses = [part for part in text.split(";") if part.strip()]
    tests = []
    for clause in clauses:
        match = _CLAUSE.match(clause)
        if match is None:
            return (lambda run: True), f"cannot read filter clause {clause.strip()!r}: expected key, operator, value"
        tests.append(_clause_test(match["key"], match["op"], match["value"]))
    return (lambda run: all(test(run) for test in tests)), None


def _clause_test(key: str, op: str, wanted: str):
    wanted_number = _number(wanted)
    wanted_text = wanted.lower()

    def test(run: RunRecord) -> bool:
        value = column_value(run, key)
        if value is None:
            return op == "!="
        if op == "~":
            return wanted_text in str(value).lower()
        number = _number(value)
        if number is not None and wanted_number is not None:
            return _COMPARE[op](number, wanted_number)
        return _COMPARE[op](str(value).lower(), wanted_text)

    return test


def _number(value) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
