"""What the columns can hold. A value a client sends is checked against it where it enters (an
argument, a global id, a cursor), so that one the database would refuse is bad input (R23),
never a failed statement answered INTERNAL.

    fits(2**31, BIGINT)   -> True
    fits(2**31, INTEGER)  -> False  (PostgreSQL `integer`: every primary and foreign key)
    storable_text("a\\x00") -> False
"""

from __future__ import annotations

INTEGER = (-(2**31), 2**31 - 1)
BIGINT = (-(2**63), 2**63 - 1)


def fits(value: int, column: tuple[int, int]) -> bool:
    low, high = column
    return low <= value <= high


def storable_text(value: str) -> bool:
    """PostgreSQL's text holds no NUL, and UTF-8 has no encoding for a lone surrogate (which
    JSON's "\\ud800" escapes can carry into a Python string)."""
    if "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
