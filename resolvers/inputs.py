"""Checks on what clients send (R23): refused with BAD_USER_INPUT naming the field, before
anything is written."""

from __future__ import annotations

import re

from salescoord.errors import BadUserInput

EMAIL = re.compile(
    r"^[^@\s\x00-\x1f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
NAME_LENGTH = 200
NOTE_LENGTH = 5000
PASSWORD_LENGTH = (10, 200)


def text(value: str, field: str, max_length: int = NAME_LENGTH) -> str:
    """Trimmed, non-empty, at most `max_length` characters, no control characters."""
    value = value.strip()
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
    value = value.strip().lower()
    if len(value) > 254 or not EMAIL.match(value):
        raise BadUserInput("Not a valid email address.", field=field)
    return value


def password(value: str, field: str = "password") -> str:
    low, high = PASSWORD_LENGTH
    if not low <= len(value) <= high:
        raise BadUserInput(f"A password has {low} to {high} characters.", field=field)
    return value


def unique(ids: list[str], field: str, most: int = 100) -> list[str]:
    if not ids:
        raise BadUserInput(f"{field} must name at least one object.", field=field)
    if len(ids) > most:
        raise BadUserInput(f"{field} names more than {most} objects.", field=field)
    return list(dict.fromkeys(ids))
