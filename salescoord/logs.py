"""Structured logs: one JSON object per line, so a log pipeline can index every field.

{"ts": "...", "level": "INFO", "logger": "salescoord.request", "msg": "request",
 "request_id": "…", "user_id": 7, "operation": "ScDashboard", "duration_ms": 4.1,
 "sql_statements": 6, "error_codes": []}
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


LINK_TOKEN = re.compile(r"([?&]token=)[^&\s\"']+")


class RedactLinkTokens(logging.Filter):
    """The server's access log names each request's path with its query string, and a password
    link's token travels there (`/set-password?token=…`, R32): the line keeps the path and
    loses the token, so no reader of the logs holds a usable link."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                LINK_TOKEN.sub(r"\1[redacted]", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = LINK_TOKEN.sub(r"\1[redacted]", record.msg)
        return True


def redact_link_tokens() -> None:
    """Once per process (`configure_logging`, `create_app`): the filter sits on uvicorn's
    access logger, which every access line is logged to directly."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactLinkTokens) for f in access.filters):
        access.addFilter(RedactLinkTokens())


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for the service's and the server's loggers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    redact_link_tokens()
