"""Checks on what clients send (R23): refused with BAD_USER_INPUT naming the field, before
anything is written."""

from __future__ import annotations

import re
from typing import Any

from salescoord.errors import BadUserInput

EMAIL = re.compile(
    r"^[^@\s\x00-\x1f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
NAME_LENGTH = 200
NOTE_LENGTH = 5000
PASSWORD_LENGTH = (10, 200)


def given(value: Any, field: str) -> Any:
    """A value an update may change but not clear: an explicit null is bad input (it would
    otherwise pass for false, or crash a check that expects text)."""
    if value is None:
        raise BadUserInput(f"{field} cannot be null.", field=field)
    return value


def text(value: str, field: str, max_length: int = NAME_LENGTH) -> str:
    """Trimmed, non-empty, at most `max_length` characters, no control characters."""
    value = given(value, field).strip()
    if not value:
        raise BadUserInput(f"{field} must not be empty.", field=field)
    if len(value) > max_length:
        raise BadUserInput(f"{field} is longer than {max_length} characters.", field=field)
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise BadUserInput(f"{field} contains control characters.", field=field)
    return value


def optional_text(value: str | None, field: str, max_length: int = NOTE_LENGTH) -> str | None:
    if value is None or not value.strip():
        return None
    return text(value, field, max_length)


def email(value: str, field: str = "email") -> str:
    value = given(value, field).strip().lower()
    if len(value) > 254 or not EMAIL.match(value):
        raise BadUserInput("Not a valid email address.", field=field)
    return value


def password(value: str, field: str = "password") -> str:
    low, high = PASSWORD_LENGTH
    if not low <= len(given(value, field)) <= high:
        raise BadUserInput(f"A password has {low} to {high} characters.", field=field)
    return value


def unique(ids: list[str], field: str, most: int = 100) -> list[str]:
    if not ids:
        raise BadUserInput(f"{field} must name at least one object.", field=field)
    if len(ids) > most:
        raise BadUserInput(f"{field} names more than {most} objects.", field=field)
    return list(dict.fromkeys(ids))
