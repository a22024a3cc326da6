"""Settings from the environment, with embedded defaults that need no other service (R26)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


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


def _int(name: str, default: int) -> Any:
    return lambda: int(os.environ.get(name, default))


def _flag(name: str, default: bool) -> Any:
    return lambda: os.environ.get(name, "1" if default else "0") == "1"


def _names(variable: str) -> tuple[str, ...]:
    """A comma-separated list."""
    configured = os.environ.get(variable, "")
    return tuple(name.strip() for name in configured.split(",") if name.strip())


def _origins() -> tuple[str, ...]:
    return _names("CORS_ORIGINS")


@dataclass(frozen=True)
class SmtpSettings:
    """Where the outbox is delivered (R20). `tls` is "none", "starttls" or "tls" (implicit TLS,
    usually port 465)."""

    host: str
    port: int = 25
    username: str | None = None
    password: str | None = None
    tls: str = "none"
    sender: str = "salescoord <no-reply@salescoord.invalid>"
    timeout_seconds: float = 30.0

    @classmethod
    def from_url(cls, url: str, **extra: object) -> SmtpSettings:
        """smtp://user:pass@host:587?starttls=1, or smtps://user:pass@host:465 for implicit TLS."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:pass@host:port")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        tls = "tls" if parts.scheme == "smtps" or _yes(query.get("tls")) else "none"
        if _yes(query.get("starttls")):
            tls = "starttls"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls == "tls" else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
            **extra,  # type: ignore[arg-type]
        )


def _yes(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes", "on")


def _smtp_from_env() -> SmtpSettings | None:
    """`SMTP_URL`, or `SMTP_HOST` with SMTP_PORT/USER/PASSWORD/TLS; None (the embedded default)
    keeps every email in the outbox, readable by admins (R20)."""
    env = os.environ
    extra: dict[str, object] = {}
    if env.get("SMTP_FROM"):
        extra["sender"] = env["SMTP_FROM"]
    if env.get("SMTP_URL"):
        return SmtpSettings.from_url(env["SMTP_URL"], **extra)
    if env.get("SMTP_HOST"):
        tls = env.get("SMTP_TLS", "none").lower()
        tls = {"1": "starttls", "true": "starttls", "0": "none", "false": "none"}.get(tls, tls)
        if tls not in ("none", "starttls", "tls"):
            raise ValueError("SMTP_TLS must be none, starttls or tls")
        return SmtpSettings(
            host=env["SMTP_HOST"],
            port=int(env.get("SMTP_PORT", 465 if tls == "tls" else 25)),
            username=env.get("SMTP_USER") or None,
            password=env.get("SMTP_PASSWORD") or None,
            tls=tls,
            **extra,  # type: ignore[arg-type]
        )
    return None


@dataclass(frozen=True)
class DeliverySettings:
    """How the outbox worker paces itself: poll interval, batch size, and the exponential
    backoff of temporary failures (RFC 5321: retry for days with growing intervals)."""

    poll_seconds: float = field(default_factory=lambda: float(os.environ.get("OUTBOX_POLL_SECONDS", 2)))
    batch_size: int = field(default_factory=lambda: int(os.environ.get("OUTBOX_BATCH_SIZE", 20)))
    retry_base_seconds: float = field(
        default_factory=lambda: float(os.environ.get("OUTBOX_RETRY_BASE_SECONDS", 30))
    )
    retry_max_seconds: float = field(
        default_factory=lambda: float(os.environ.get("OUTBOX_RETRY_MAX_SECONDS", 3600))
    )
    max_attempts: int = field(default_factory=lambda: int(os.environ.get("OUTBOX_MAX_ATTEMPTS", 60)))
    lease_seconds: float = field(default_factory=lambda: float(os.environ.get("OUTBOX_LEASE_SECONDS", 300)))


@dataclass(frozen=True)
class Settings:
    database_url: str = field(
        default_factory=lambda: os.environ.get("DATABASE_URL") or _default_database_url()
    )
    secret_keys: tuple[str, ...] = field(default_factory=_secret_keys)
    web_token_ttl_seconds: int = field(
        default_factory=lambda: int(os.environ.get("WEB_TOKEN_TTL_SECONDS", 12 * 3600))
    )
    # -- the app's devices (R30): short access tokens, rotating refresh tokens ---------------
    app_access_token_seconds: int = field(default_factory=_int("APP_ACCESS_TOKEN_SECONDS", 900))
    app_refresh_token_days: int = field(default_factory=_int("APP_REFRESH_TOKEN_DAYS", 30))
    # numbered mutations whose outcome is kept per device; older ones answer ALREADY_APPLIED (R31)
    kept_outcomes_per_device: int = field(default_factory=_int("KEPT_OUTCOMES_PER_DEVICE", 200))
    graphiql: bool = field(default_factory=lambda: os.environ.get("SALESCOORD_GRAPHIQL", "1") == "1")
    pool_size: int = field(default_factory=lambda: int(os.environ.get("DB_POOL_SIZE", 10)))

    # -- limits of one query, checked before it runs (R24); see docs/security.md ----------
    max_depth: int = field(default_factory=_int("QUERY_MAX_DEPTH", 15))
    max_aliases: int = field(default_factory=_int("QUERY_MAX_ALIASES", 30))
    max_tokens: int = field(default_factory=_int("QUERY_MAX_TOKENS", 2000))
    max_directives: int = field(default_factory=_int("QUERY_MAX_DIRECTIVES", 20))
    max_fields: int = field(default_factory=_int("QUERY_MAX_FIELDS", 1000))
    max_nodes: int = field(default_factory=_int("QUERY_MAX_NODES", 50_000))
    max_cost: int = field(default_factory=_int("QUERY_MAX_COST", 100_000))
    max_validation_steps: int = field(default_factory=_int("QUERY_MAX_VALIDATION_STEPS", 10_000))
    # -- what a production deployment turns off (R22) -------------------------------------
    introspection: bool = field(default_factory=_flag("GRAPHQL_INTROSPECTION", True))
    field_suggestions: bool = field(default_factory=_flag("GRAPHQL_FIELD_SUGGESTIONS", True))
    # -- abuse controls: counters in the database, shared by every process ----------------
    login_attempts_per_ip: int = field(default_factory=_int("RATE_LOGIN_PER_IP", 20))
    login_window_seconds: int = field(default_factory=_int("RATE_LOGIN_WINDOW_SECONDS", 60))
    failed_logins_per_account: int = field(default_factory=_int("RATE_FAILED_LOGINS_PER_ACCOUNT", 5))
    failed_login_window_seconds: int = field(default_factory=_int("RATE_FAILED_LOGIN_WINDOW_SECONDS", 900))
    registrations_per_ip: int = field(default_factory=_int("RATE_REGISTER_PER_IP", 5))
    register_window_seconds: int = field(default_factory=_int("RATE_REGISTER_WINDOW_SECONDS", 3600))
    requests_per_user: int = field(default_factory=_int("RATE_REQUESTS_PER_USER", 600))
    user_window_seconds: int = field(default_factory=_int("RATE_USER_WINDOW_SECONDS", 60))
    # -- argon2 checks computed at once per process (64 MiB each), off the event loop ------
    password_hash_concurrency: int = field(
        default_factory=_int("PASSWORD_HASH_CONCURRENCY", max(1, (os.cpu_count() or 2) // 2))
    )
    anonymous_requests_per_ip: int = field(default_factory=_int("RATE_ANONYMOUS_PER_IP", 60))
    anonymous_window_seconds: int = field(default_factory=_int("RATE_ANONYMOUS_WINDOW_SECONDS", 60))
    # -- HTTP -----------------------------------------------------------------------------
    cors_origins: tuple[str, ...] = field(default_factory=_origins)
    max_body_bytes: int = field(default_factory=_int("MAX_BODY_BYTES", 256 * 1024))
    # -- metrics: off unless a scraper's token is set; labels from a bounded set --------------
    metrics_token: str | None = field(default_factory=lambda: os.environ.get("METRICS_TOKEN") or None)
    metrics_operations: tuple[str, ...] = field(default_factory=lambda: _names("METRICS_OPERATIONS"))
    # -- live updates (R19): on PostgreSQL notifications, and this slow poll besides ---------
    live_safety_poll_seconds: float = field(
        default_factory=lambda: float(os.environ.get("LIVE_SAFETY_POLL_SECONDS", 10))
    )
    # -- the change feed (R18): how long its rows are kept; an older cursor is RESYNC_REQUIRED
    feed_retention_days: int = field(default_factory=_int("FEED_RETENTION_DAYS", 30))
    # messages one websocket may send per second before it is closed (4429); 0: no bound
    ws_messages_per_second: int = field(default_factory=_int("WS_MESSAGES_PER_SECOND", 50))
    smtp: SmtpSettings | None = field(default_factory=_smtp_from_env)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    public_url: str = field(
        default_factory=lambda: os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    )
    set_password_ttl_seconds: int = field(
        default_factory=lambda: int(os.environ.get("SET_PASSWORD_TTL_SECONDS", 3 * 24 * 3600))
    )
    # -- password reset (R32): a short-lived link, asked for anonymously ------------------
    reset_password_ttl_seconds: int = field(default_factory=_int("RESET_PASSWORD_TTL_SECONDS", 3600))
    password_resets_per_ip: int = field(default_factory=_int("RATE_PASSWORD_RESET_PER_IP", 10))
    password_resets_per_address: int = field(default_factory=_int("RATE_PASSWORD_RESET_PER_ADDRESS", 3))
    password_reset_window_seconds: int = field(
        default_factory=_int("RATE_PASSWORD_RESET_WINDOW_SECONDS", 3600)
    )
    # every answer to a reset request takes at least this long, whether or not the address has
    # an account: the time it takes tells nothing (the work for a real account is well under it)
    password_reset_answer_seconds: float = field(
        default_factory=lambda: float(os.environ.get("PASSWORD_RESET_ANSWER_SECONDS", 0.3))
    )
    planner: bool = field(default_factory=lambda: os.environ.get("SALESCOORD_PLANNER", "1") == "1")
    """Answer queries whose fields the planner knows with one statement per root field, the
    JSON written by PostgreSQL (`schema.planner`); PostgreSQL only. SALESCOORD_PLANNER=0 sends
    every query through the resolvers."""
    naive: bool = field(default_factory=lambda: os.environ.get("SALESCOORD_NAIVE") == "1")
    """Benchmark baseline only: data loaders without batching or caching, and no parser or
    validation cache; the same code paths otherwise (`make bench`)."""
