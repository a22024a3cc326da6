"""Signed bearer tokens (JWT, HS256) naming the user and the channel (WEB or APP, R10); an
app token also names its device and the generation of the device's token pair (R30). And
the app's refresh tokens: random text, of which the database keeps only a SHA-256.

The first signing key signs; every configured key verifies, so a key can be
rotated by prepending the new one and dropping the old one a token lifetime later.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt

from salescoord.permissions.enums import Channel
from salescoord.settings import Settings

ALGORITHM = "HS256"
ISSUER = "salescoord"


REFRESH_PREFIX = "rt_"


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    channel: Channel
    expires_at: int
    device_id: int | None = None  # app tokens only (R30)
    generation: int = 0  # of the device's token pair
    issued_at: int = 0  # a web token issued before its user's new password no longer stands


def issue_token(
    settings: Settings, user_id: int, channel: Channel, device: tuple[int, int] | None = None
) -> tuple[str, int]:
    """A web token, or with `device` = (device id, generation) an app access token; an app
    token lives `app_access_token_seconds` (15 minutes by default) and is refreshed (R30)."""
    ttl = settings.app_access_token_seconds if channel is Channel.APP else settings.web_token_ttl_seconds
    now = int(time.time())
    expires_at = now + ttl
    payload: dict[str, Any] = {
        "sub": str(user_id),
        "ch": channel.value,
        "iat": now,
        "exp": expires_at,
    }
    if device is not None:
        payload["dev"], payload["gen"] = device
    return sign(settings, payload), expires_at


def new_refresh_token() -> tuple[str, str]:
    """(the token the app keeps, the hash the database keeps)."""
    token = REFRESH_PREFIX + secrets.token_urlsafe(32)
    return token, refresh_token_hash(token)


def refresh_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def sign(settings: Settings, payload: dict[str, Any]) -> str:
    """A token over `payload`, signed with the newest key."""
    return jwt.encode({**payload, "iss": ISSUER}, settings.secret_keys[0], algorithm=ALGORITHM)


def verify(settings: Settings, token: str, required: list[str]) -> dict[str, Any] | None:
    """The payload of a valid, unexpired token signed by any configured key (so tokens
    outlive a key rotation) that carries every claim in `required`; else None."""
    for key in settings.secret_keys:
        try:
            return jwt.decode(
                token, key, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": required}
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError:
            return None
    return None


def read_token(settings: Settings, token: str) -> TokenClaims | None:
    """The claims of a sign-in token; None for anything else.

    A client sends the same token with every request until it expires: its verified claims
    are kept (per signing keyring, so a rotated-out key stops verifying at once) and only
    its expiry is checked again. Who they name is read from the database at every request
    (R14), and so is the device an app token names, which may have been revoked (R30)."""
    key = (settings.secret_keys, token)
    claims = _verified.get(key)
    if claims is None:
        claims = _verify_sign_in(settings, token)
        if claims is None:
            return None
        if len(_verified) >= VERIFIED_KEPT:
            _verified.clear()
        _verified[key] = claims
    return claims if claims.expires_at > time.time() else None


VERIFIED_KEPT = 10_000
_verified: dict[tuple[tuple[str, ...], str], TokenClaims] = {}


def _verify_sign_in(settings: Settings, token: str) -> TokenClaims | None:
    payload = verify(settings, token, ["sub", "exp", "ch"])
    if payload is None:
        return None
    try:
        claims = TokenClaims(
            int(payload["sub"]),
            Channel(payload["ch"]),
            int(payload["exp"]),
            int(payload["dev"]) if "dev" in payload else None,
            int(payload.get("gen", 0)),
            int(payload.get("iat", 0)),
        )
    except (ValueError, KeyError, TypeError):
        return None
    # an app token stands for a device, which can be revoked: one without is refused (R30)
    return claims if (claims.channel is Channel.APP) == (claims.device_id is not None) else None
