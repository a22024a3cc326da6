"""Password links (R7, R32): signed, expiring, single-use tokens in the emails the service sends.

Two kinds, one mechanism: a **set-password** link for an account without a password (an
approved applicant, R7, or a user an admin invited, R5) and a **reset-password** link for an
account that asked for one (`requestPasswordReset`). A link in an email instead of a password:
a password in an email stays readable in every mailbox and log it passes through, while a link
expires and works once, and the password is chosen by its owner and never leaves their hands.

The token (JWT, HS256, the service's signing keys) names the user, its purpose (a link of one
kind opens no page of the other, and no sign-in token is a link) and carries a fingerprint of
the account's password hash when the link was signed; setting a password changes the hash, so
the same link can never be used again, without a table of spent tokens.

No usable link is ever stored (R32): the email waits in the outbox with PLACEHOLDER where the
link goes and the account's id beside it (`emails.set_password_user_id`); the delivery worker
signs the token and writes the link in when it sends the email. Whoever reads the outbox, the
audit trail or the database itself holds no key to anyone's account.

    token = issue_link_token(settings, user_id, password_hash=None, purpose=SET_PASSWORD)
    claims = read_link_token(settings, token, SET_PASSWORD)   # LinkClaims, or a LinkProblem
    text = fill(row.body_text, password_link(settings, user_id, None, SET_PASSWORD))
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from enum import StrEnum

import jwt

from salescoord.settings import Settings
from salescoord.tokens import ALGORITHM, ISSUER, sign, verify

SET_PASSWORD = "set-password"
RESET_PASSWORD = "reset-password"
PURPOSES = (SET_PASSWORD, RESET_PASSWORD)
PURPOSE = SET_PASSWORD  # the set-password link's purpose claim, as it was named first
PLACEHOLDER = "[set-password link: written in when the email is sent]"
LONGEST_TOKEN = 2000  # a token of ours is about 250 characters: anything this long is no link


class LinkProblem(StrEnum):
    """Why a link opens nothing: each has its own words on the page (`salescoord.pages`)."""

    INVALID = "INVALID"  # forged, damaged, of another kind, signed with a key no longer held
    EXPIRED = "EXPIRED"
    USED = "USED"  # its account's password changed since it was signed: used, or overtaken


@dataclass(frozen=True)
class LinkClaims:
    user_id: int
    fingerprint: str
    purpose: str


SetPasswordClaims = LinkClaims


def fingerprint(settings: Settings, password_hash: str | None, key: str | None = None) -> str:
    """A short keyed digest of the current password hash ("" before any password), with the
    newest key unless told which."""
    secret = (key if key is not None else settings.secret_keys[0]).encode()
    return hmac.new(secret, (password_hash or "").encode(), hashlib.sha256).hexdigest()[:32]


def ttl_seconds(settings: Settings, purpose: str) -> int:
    if purpose == RESET_PASSWORD:
        return settings.reset_password_ttl_seconds
    return settings.set_password_ttl_seconds


def issue_link_token(settings: Settings, user_id: int, password_hash: str | None, purpose: str) -> str:
    now = int(time.time())
    payload = {
        "sub": str(user_id),
        "pur": purpose,
        "fp": fingerprint(settings, password_hash),
        "iat": now,
        "exp": now + ttl_seconds(settings, purpose),
    }
    return sign(settings, payload)


def issue_set_password_token(settings: Settings, user_id: int, password_hash: str | None) -> str:
    return issue_link_token(settings, user_id, password_hash, SET_PASSWORD)


def read_link_token(settings: Settings, token: str, purpose: str) -> LinkClaims | LinkProblem:
    """The claims of a valid link of `purpose`; else why not (INVALID or EXPIRED: USED needs
    the account's current hash, `link_is_spent`)."""
    if not isinstance(token, str) or not token or len(token) > LONGEST_TOKEN:
        return LinkProblem.INVALID
    payload = verify(settings, token, ["sub", "exp", "pur", "fp"])
    if payload is None:
        return LinkProblem.EXPIRED if _expired_but_genuine(settings, token, purpose) else LinkProblem.INVALID
    if payload.get("pur") != purpose:
        return LinkProblem.INVALID  # a sign-in token, or a link of the other kind
    try:
        return LinkClaims(int(payload["sub"]), str(payload["fp"]), purpose)
    except (TypeError, ValueError):
        return LinkProblem.INVALID


def read_set_password_token(settings: Settings, token: str) -> LinkClaims | None:
    claims = read_link_token(settings, token, SET_PASSWORD)
    return claims if isinstance(claims, LinkClaims) else None


def _expired_but_genuine(settings: Settings, token: str, purpose: str) -> bool:
    """A link signed by one of our keys, of this kind, whose time ran out: worth saying so
    (the person asks for a new one) rather than calling it broken."""
    for key in settings.secret_keys:
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"verify_exp": False, "require": ["sub", "exp", "pur", "fp"]},
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError:
            return False
        try:
            return payload.get("pur") == purpose and int(payload["exp"]) <= time.time()
        except (TypeError, ValueError):
            return False
    return False


def link_is_spent(settings: Settings, claims: LinkClaims, current_hash: str | None) -> bool:
    """Spent when the password changed since the link was made. The link's fingerprint was
    made with the newest key of its day: any configured key may match, so a link sent before
    a key rotation works as long as its signature does."""
    return not any(
        hmac.compare_digest(fingerprint(settings, current_hash, key), claims.fingerprint)
        for key in settings.secret_keys
    )


def link(settings: Settings, token: str, purpose: str = SET_PASSWORD) -> str:
    return f"{settings.public_url}/{purpose}?token={token}"


def password_link(settings: Settings, user_id: int, password_hash: str | None, purpose: str) -> str:
    """A fresh link: its validity runs from the sending, so an email held back by an SMTP
    outage still arrives with the whole of it."""
    return link(settings, issue_link_token(settings, user_id, password_hash, purpose), purpose)


def set_password_link(settings: Settings, user_id: int, password_hash: str | None) -> str:
    return password_link(settings, user_id, password_hash, SET_PASSWORD)


def fill(body: str | None, url: str) -> str | None:
    """The email body with the link in place of PLACEHOLDER (`url` escaped for HTML bodies)."""
    return body.replace(PLACEHOLDER, url) if body is not None else None
