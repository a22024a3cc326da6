"""Passwords chosen with a link (R7, R32): set-password and reset-password links, the reset
request that sends one, and the one function that spends a link, which the mutations
(`setPassword`, `resetPassword`) and the pages (`salescoord.pages.password`) both call.

    viewer = await use_password_link(context, token, password, SET_PASSWORD)
    # Unauthenticated with extensions.reason INVALID, EXPIRED or USED; BadUserInput on the password
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from salescoord.db.queries import accounts, devices
from salescoord.db.queries.audit import record
from salescoord.permissions.viewer import Viewer
from salescoord.resolvers import auth, inputs
from salescoord.resolvers.devices import close_sockets_of
from salescoord.schema import types
from salescoord.schema.enums import Channel
from salescoord.schema.types.devices import DeviceInput

from salescoord.context import Context, Info
from salescoord.errors import Unauthenticated
from salescoord.outbox import wording
from salescoord.outbox.password_links import (
    RESET_PASSWORD,
    SET_PASSWORD,
    LinkProblem,
    link_is_spent,
    read_link_token,
)
from salescoord.outbox.queue import enqueue_notice
from salescoord.rate_limits import client_ip, rate_limit

if TYPE_CHECKING:
    from salescoord.schema.types.auth import LoginPayload, PasswordResetReceipt

log = logging.getLogger("salescoord.passwords")

PROBLEMS = {
    LinkProblem.INVALID: "This link is not valid: open it exactly as the email gave it, "
    "or ask for a new one.",
    LinkProblem.EXPIRED: "This link has expired: ask for a new one.",
    LinkProblem.USED: "This link was used already: sign in with the password chosen then, "
    "or ask for a new link.",
}
AUDITED = {
    SET_PASSWORD: ("user.set_password", "set-password link"),
    RESET_PASSWORD: ("user.reset_password", "reset-password link"),
}


def refused(problem: LinkProblem) -> Unauthenticated:
    return Unauthenticated(PROBLEMS[problem], reason=problem.value)


async def check_password_link(context: Context, token: str, purpose: str) -> LinkProblem | None:
    """What stands in the way of the link (None: nothing), without spending it: the page says
    so before anyone types a password."""
    claims = read_link_token(context.settings, token, purpose)
    if isinstance(claims, LinkProblem):
        return claims
    account = await context.db.fetch_one(accounts.link_account(claims.user_id))
    if account is None:
        return LinkProblem.INVALID  # its account was deactivated or removed
    return LinkProblem.USED if link_is_spent(context.settings, claims, account.password_hash) else None


async def use_password_link(
    context: Context, token: str, password: str, purpose: str, channel: Channel = Channel.WEB
) -> Viewer:
    """Replace the password of the account a valid, unspent link of `purpose` names, once.
    The link is read first: a caller without a valid one learns nothing more (R4). A spent link
    is refused before the argon2 hash (in the process's worker threads) is computed, and the
    write is conditional on the hash the link was made for, so of two uses at once one wins.
    A reset also signs every app device of the account out (R30), in the same transaction:
    whoever knew the old password may hold one of them."""
    settings = context.settings
    claims = read_link_token(settings, token, purpose)
    if isinstance(claims, LinkProblem):
        raise refused(claims)
    password = inputs.password(password)
    problem = await check_password_link(context, token, purpose)
    if problem is not None:
        raise refused(problem)

    def link_matches(current_hash: str | None) -> bool:
        return not link_is_spent(settings, claims, current_hash)

    new_hash = await context.passwords.hash(password)
    action, via = AUDITED[purpose]
    signed_out: list[int] = []
    async with context.db.transaction() as connection:
        viewer = await accounts.set_password_once(
            connection, claims.user_id, link_matches, new_hash, channel, action=action, via=via
        )
        if viewer is not None and purpose == RESET_PASSWORD:  # R30: the old password's devices go
            signed_out = await devices.revoke_every_device(
                connection, viewer, viewer.id, devices.RevokedBecause.PASSWORD_RESET
            )
    if viewer is None:
        raise refused(LinkProblem.USED)
    close_sockets_of(context, signed_out)
    return viewer


async def set_password(
    info: Info, token: str, password: str, client: Channel, device: DeviceInput | None = None
) -> LoginPayload:
    """Choose a password with a set-password link, and be signed in (R4: this is a sign-in;
    on the app, as a device, R30)."""
    named = auth.device_input(device, client)
    viewer = await use_password_link(info.context, token, password, SET_PASSWORD, client)
    return await auth.sign_in(info, viewer, named)


async def reset_password(
    info: Info, token: str, password: str, client: Channel, device: DeviceInput | None = None
) -> LoginPayload:
    """Choose a new password with a reset-password link, and be signed in."""
    named = auth.device_input(device, client)
    viewer = await use_password_link(info.context, token, password, RESET_PASSWORD, client)
    return await auth.sign_in(info, viewer, named)


async def request_password_reset(info: Info, email: str) -> PasswordResetReceipt:
    """Email a reset-password link to the active account signed in with `email`, if any. The
    answer is the same either way, and so is its time: every answer is held back until
    `password_reset_answer_seconds` after the request began. Counted per IP and per address
    (every address, with an account or not, so a refusal tells nothing either)."""
    started = time.monotonic()
    context, settings = info.context, info.context.settings
    email = inputs.email(email)
    window, ip = settings.password_reset_window_seconds, client_ip(context)
    await rate_limit(context, "password-reset-ip", ip, settings.password_resets_per_ip, window)
    await rate_limit(context, "password-reset", email, settings.password_resets_per_address, window)
    async with context.db.transaction() as connection:
        account = await accounts.account_for_reset(connection, email)
        if account is not None:
            notice = wording.password_reset(account.name, max(settings.reset_password_ttl_seconds // 60, 1))
            await enqueue_notice(connection, notice, account.email, set_password_user_id=account.id)
        # R25, both ways: admins see which addresses are asked for, and whose account they name
        await record(
            connection,
            None,
            "user.request_password_reset",
            "User",
            account.id if account is not None else None,
            diff={"email": email},
        )
    await _hold_until(started + settings.password_reset_answer_seconds)
    return types.auth.PasswordResetReceipt(email=email)


async def _hold_until(moment: float) -> None:
    left = moment - time.monotonic()
    if left > 0:
        await asyncio.sleep(left)
    elif left < -0.05:  # the work outran the padding: the time may tell, so say so
        log.warning("a password reset answer took %.0f ms over its fixed time", -left * 1000)
