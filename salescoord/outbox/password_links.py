"""Set-password links for new buyers (R7): a signed, expiring, single-use token.

An approved applicant gets a link by email instead of a password: a password in an email
stays readable in every mailbox and log it passes through, while a link expires and works
once, and the password is chosen by its owner and never leaves their hands.

The token (JWT, HS256, the service's signing keys) names the user and carries a fingerprint
of their current password hash; setting a password changes the hash, so the same link can
never be used again, without a table of spent tokens.

No usable link is ever stored (R32): the email waits in the outbox with PLACEHOLDER where the
link goes and the account's id beside it (`emails.set_password_user_id`); the delivery worker
signs the token and writes the link in when it sends the email. Whoever reads the outbox, the
audit trail or the database itself holds no key to anyone's account.

    token = issue_set_password_token(settings, user_id, password_hash=None)
    claims = read_set_password_token(settings, token)   # None: forged, expired or malformed
    text = fill(row.body_text, set_password_link(settings, user_id, password_hash=None))
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from salescoord.settings import Settings
from salescoord.tokens import sign, verify

PURPOSE = "set-password"
PLACEHOLDER = "[set-password link: written in when the email is sent]"


@dataclass(frozen=True)
class SetPasswordClaims:
    user_id: int
    fingerprint: str


def fingerprint(settings: Settings, password_hash: str | None) -> str:
    """A short keyed digest of the current password hash ("" before any password)."""
    key = settings.secret_keys[0].encode()
    return hmac.new(key, (password_hash or "").encode(), hashlib.sha256).hexdigest()[:32]


def issue_set_password_token(settings: Settings, user_id: int, password_hash: str | None) -> str:
    now = int(time.time())
    payload = {
        "sub": str(user_id),
        "pur": PURPOSE,
        "fp": fingerprint(settings, password_hash),
        "iat": now,
        "exp": now + settings.set_password_ttl_seconds,
    }
    return sign(settings, payload)


def read_set_password_token(settings: Settings, token: str) -> SetPasswordClaims | None:
    payload = verify(settings, token, ["sub", "exp", "pur", "fp"])
    if payload is None or payload.get("pur") != PURPOSE:
        return None  # a sign-in token is no set-password link
    try:
        return SetPasswordClaims(int(payload["sub"]), str(payload["fp"]))
    except (TypeError, ValueError):
        return None


def link(settings: Settings, token: str) -> str:
    return f"{settings.public_url}/set-password?token={token}"


def set_password_link(settings: Settings, user_id: int, password_hash: str | None) -> str:
    """A fresh link: its validity runs from the sending, so an email held back by an SMTP
    outage still arrives with the whole of it."""
    return link(settings, issue_set_password_token(settings, user_id, password_hash))


def fill(body: str | None, url: str) -> str | None:
    """The email body with the link in place of PLACEHOLDER (`url` escaped for HTML bodies)."""
    return body.replace(PLACEHOLDER, url) if body is not None else None
