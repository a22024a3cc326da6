"""The settings of the request being run: limits are read per request, so one schema serves
apps configured differently (tests build several)."""

from __future__ import annotations

from functools import cache
from typing import Any

from salescoord.settings import Settings


@cache
def _defaults() -> Settings:
    return Settings(database_url="", secret_keys=("unused",))


def settings_of(execution_context: Any) -> Settings:
    """The request context's settings; the environment's defaults for a bare `execute`."""
    return getattr(execution_context.context, "settings", None) or _defaults()
