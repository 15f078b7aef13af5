"""`filter=` expressions for the run table: `lr>=0.001; status=failed; sum.val/acc>0.5`.

Clauses are separated by `;` and all must hold. Operators: = != > >= < <= and
~ (contains, case-insensitive). Numbers compare numerically, anything else as
lower-cased text. A clause that does not parse is reported, not guessed at, and
the report says what is wrong in words a user can act on ("use >=").
"""

from __future__ import annotations

import operator
import re

from ..scan.records import RunRecord, column_value

# The key stops at the first operator character; the operator is the whole run of them, so a
# misspelt one (`=>`, `==`) is seen as written and can be named in the error.
_CLAUSE = re.compile(r"^\s*(?P<key>[^<>=!~]*?)\s*(?P<op>[<>=!~]+)\s*(?P<value>.*?)\s*$")
_COMPARE = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
OPERATORS = (*_COMPARE, "~")
_ORDERING = frozenset({">", ">=", "<", "<="})  # only meaningful between numbers
# What people type from other languages, and what they meant.
_MEANT = {"=>": ">=", "=<": "<=", "==": "=", "<>": "!=", "=!": "!=", "!": "!=", "~=": "~", "=~": "~", "!~": None}

MAX_FILTER = 4096  # characters: a real filter is a line; a 16 KB one only costs time


class FilterError(ValueError):
    """A clause that cannot be read; the message is shown above the table as is."""


def compile_filter(text: str):
    """(predicate over RunRecord, error message or None) for a filter expression."""
    if len(text) > MAX_FILTER:
        return (lambda run: True), f"filter is {len(text):,} characters; at most {MAX_FILTER:,}"
    try:
        tests = [parse_clause(clause.strip()) for clause in text.split(";") if clause.strip()]
    except FilterError as error:
        return (lambda run: True), str(error)
    return (lambda run: all(test(run) for test in tests)), None


def parse_clause(clause: str):
    """One `key op value` clause as a test over a run; FilterError says what is wrong with it."""
    match = _CLAUSE.match(clause)
    if match is None:
        raise FilterError(
            f"cannot read filter clause `{clause}`: expected a column, an operator and a value, like `optim.lr>=0.001`"
        )
    key, op, wanted = match["key"], match["op"], match["value"]
    if op not in OPERATORS:
        meant = _MEANT.get(op)
        hint = f"; use {meant}" if meant else f"; operators are {' '.join(OPERATORS)}"
        raise FilterError(f"unknown operator `{op}` in `{clause}`{hint}")
    if not key:
        raise FilterError(f"`{clause}`: no column before `{op}`")
    if op in _ORDERING and _number(wanted) is None:
        problem = f"`{wanted}` is not a number" if wanted else f"no number after `{op}`"
        raise FilterError(f"`{clause}`: {problem}")
    return _clause_test(key, op, wanted)


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
        if op in _ORDERING:  # a number against text (a run whose value is a string): never ordered
            return False
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
