"""Free-text search for the searchable lists (users, companies, content, registrations):
a case-insensitive fragment match in SQL, with the client's `%` and `_` taken literally."""

from __future__ import annotations

import sqlalchemy as sa


def contains(fragment: str, *columns: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """Any of `columns` contains `fragment`, ignoring case."""
    escaped = fragment.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return sa.or_(*(sa.func.lower(column).like(pattern, escape="\\") for column in columns))
