"""Settings from the environment, with embedded defaults that need no other service (R26)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def _data_dir() -> Path:
    return Path(os.environ.get("SALESCOORD_DATA_DIR", "var")).resolve()


def _default_database_url() -> str:
    return f"sqlite+aiosqlite:///{_data_dir() / 'salescoord.db'}"


def _secret_keys() -> tuple[str, ...]:
    """Signing keys, newest first: `SALESCOORD_SECRET` (comma-separated during rotation)
    or one generated once into the data folder, so a local install keeps its sign-ins."""
    configured = os.environ.get("SALESCOORD_SECRET")
    if configured:
        return tuple(k.strip() for k in configured.split(",") if k.strip())
    path = _data_dir() / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return (path.read_text().strip(),)


@dataclass(frozen=True)
class Settings:
    database_url: str = field(
        default_factory=lambda: os.environ.get("DATABASE_URL") or _default_database_url()
    )
    secret_keys: tuple[str, ...] = field(default_factory=_secret_keys)
    web_token_ttl_seconds: int = field(
        default_factory=lambda: int(os.environ.get("WEB_TOKEN_TTL_SECONDS", 12 * 3600))
    )
    app_token_ttl_seconds: int = field(
        default_factory=lambda: int(os.environ.get("APP_TOKEN_TTL_SECONDS", 30 * 24 * 3600))
    )
    graphiql: bool = field(default_factory=lambda: os.environ.get("SALESCOORD_GRAPHIQL", "1") == "1")
    pool_size: int = field(default_factory=lambda: int(os.environ.get("DB_POOL_SIZE", 10)))
    naive: bool = field(default_factory=lambda: os.environ.get("SALESCOORD_NAIVE") == "1")
    """Benchmark baseline only: data loaders without batching or caching, and no parser or
    validation cache; the same code paths otherwise (`make bench`)."""
