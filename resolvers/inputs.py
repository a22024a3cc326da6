"""Checks on what clients send (R23): refused with BAD_USER_INPUT naming the field, before
anything is written. A text field's longest value is its column's, declared with the model
(`db.models`): `text(title, "title", MEETING_TITLE_LENGTH)`."""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

from salescoord.db.models.meetings import DURATION_MINUTES, TIME_ZONE_LENGTH
from salescoord.db.models.people import EMAIL_LENGTH

from salescoord.errors import BadUserInput

EMAIL = re.compile(
    r"^[^@\s\x00-\x1f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
PASSWORD_LENGTH = (10, 200)
SEARCH_LENGTH = 200
# The IANA zones this machine knows (the `tzdata` package's, where the system has none):
# listed once at start, ~50 ms, rather than probing the file system for what a client names
TIME_ZONES = frozenset(zoneinfo.available_timezones()) | {"UTC"}


def given(value: Any, field: str) -> Any:
    """A value an update may change but not clear: an explicit null is bad input (it would
    otherwise pass for false, or crash a check that expects text)."""
    if value is None:
        raise BadUserInput(f"{field} cannot be null.", field=field)
    return value


def text(value: str, field: str, max_length: int) -> str:
    """Trimmed, non-empty, at most `max_length` characters, no control characters."""
    value = given(value, field).strip()
    if not value:
        raise BadUserInput(f"{field} must not be empty.", field=field)
    if len(value) > max_length:
        raise BadUserInput(f"{field} is longer than {max_length} characters.", field=field)
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise BadUserInput(f"{field} contains control characters.", field=field)
    return value


def optional_text(value: str | None, field: str, max_length: int) -> str | None:
    if value is None or not value.strip():
        return None
    return text(value, field, max_length)


def email(value: str, field: str = "email") -> str:
    value = given(value, field).strip().lower()
    if len(value) > EMAIL_LENGTH or not EMAIL.match(value):
        raise BadUserInput("Not a valid email address.", field=field)
    return value


def password(value: str, field: str = "password") -> str:
    low, high = PASSWORD_LENGTH
    if not low <= len(given(value, field)) <= high:
        raise BadUserInput(f"A password has {low} to {high} characters.", field=field)
    return value


def search(value: str | None) -> str | None:
    """A search fragment, at most SEARCH_LENGTH characters (R23): it becomes a LIKE pattern
    matched against every row in scope, so it is bounded like any other text a client sends."""
    if value is not None and len(value) > SEARCH_LENGTH:
        raise BadUserInput(f"search is longer than {SEARCH_LENGTH} characters.", field="search")
    return value


def unique(ids: list[str], field: str, most: int = 100) -> list[str]:
    if not ids:
        raise BadUserInput(f"{field} must name at least one object.", field=field)
    if len(ids) > most:
        raise BadUserInput(f"{field} names more than {most} objects.", field=field)
    return list(dict.fromkeys(ids))


def time_zone(value: str, field: str = "timeZone") -> str:
    """An IANA time zone name, as the tz database spells it: `Europe/Paris`, `UTC`."""
    value = given(value, field).strip()
    if len(value) > TIME_ZONE_LENGTH or value not in TIME_ZONES:
        raise BadUserInput("Not a time zone of the IANA database (e.g. Europe/Paris).", field=field)
    return value


def duration(value: int, field: str = "durationMinutes") -> int:
    low, high = DURATION_MINUTES
    if not low <= given(value, field) <= high:
        raise BadUserInput(f"A meeting lasts {low} to {high} minutes.", field=field)
    return value
