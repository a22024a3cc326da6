"""R32 (with R4, R5, R7, R20, R25): the links the service emails open pages it serves, and a
password reset is asked for without telling whether an address has an account.

Over HTTP through the ASGI app, on both databases: `/set-password` and `/reset-password` show a
form, take a password once through the same function as `setPassword`/`resetPassword`, refuse
cross-site posts (no CSRF cookie, a forged token, a foreign or missing Origin), say clearly
why a link opens nothing (not valid, expired, used), and refuse unreadable input; every
refusal writes nothing. `requestPasswordReset` answers alike, in the same time, for an
address with and without an account, is counted per IP and per address, and its email (sent
by the delivery worker to a real SMTP server on 127.0.0.1) holds a working reset link that
no reader of the outbox holds. `createUser` without a password sends an invitation."""

from __future__ import annotations

import asyncio
import html
import re
import statistics
import time
from dataclasses import replace
from urllib.parse import quote

import sqlalchemy as sa
from salescoord.db.tables import audit_events, emails, users

from salescoord.outbox.password_links import (
    PLACEHOLDER,
    RESET_PASSWORD,
    issue_link_token,
    issue_set_password_token,
)
from tests.apps import client_with
from tests.db_state import snapshot
from tests.helpers import PASSWORD, codes, gid
from tests.smtp import deliver_all, worker

ORIGIN = "http://127.0.0.1:8000"  # the suite's PUBLIC_URL (settings.public_url)
NEW_PASSWORD = "a brand new passphrase"
LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password, client: WEB) { token user { id } } }"""
REQUEST_RESET = "mutation($email: String!) { requestPasswordReset(email: $email) { email } }"
RESET = """mutation($token: String!, $password: String!) {
  resetPassword(token: $token, password: $password, client: WEB) { token user { id role } } }"""
SET_PASSWORD = """mutation($token: String!, $password: String!) {
  setPassword(token: $token, password: $password, client: WEB) { token user { id } } }"""
CREATE_USER = """mutation($input: CreateUserInput!) { createUser(input: $input) { id email } }"""
OUTBOX = "query { outbox(first: 100) { nodes { kind toAddress subject bodyText bodyHtml } } }"
AUDIT = "query { auditEvents(first: 100) { nodes { action objectType diff } } }"
UNREADABLE = "could not be read"
CSRF_FIELD = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


async def passwordless(make, engine, email: str = "ann@example.test") -> int:
    territory = await make.territory()
    user = await make.user("BUYER", "Ann", email=email, company=await make.company(territory))
    async with engine.begin() as connection:
        await connection.execute(users.update().where(users.c.id == user).values(password_hash=None))
    return user


async def opened(client, path: str) -> tuple[object, str]:
    """GET a link: the response and the CSRF value of its form."""
    page = await client.http.get(path)
    found = CSRF_FIELD.search(page.text)
    return page, found.group(1) if found else ""


async def submit(
    client, path: str, fields: dict[str, str], origin: str | None = ORIGIN, raw: bytes | None = None
):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if origin is not None:
        headers["Origin"] = origin
    body = (
        raw if raw is not None else "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items()).encode()
    )
    return await client.http.post(path, content=body, headers=headers)


def form(token: str, csrf: str, password: str = NEW_PASSWORD, repeat: str | None = None) -> dict[str, str]:
    return {
        "token": token,
        "csrf": csrf,
        "password": password,
        "repeat": password if repeat is None else repeat,
    }


async def signs_in(client, email: str, password: str) -> bool:
    return not codes(await client.post(LOGIN, {"email": email, "password": password}))


def text_of(page) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page.text))


async def test_R32_the_set_password_page_sets_the_password_once_and_it_signs_in(client, engine, make):
    user = await passwordless(make, engine)
    token = issue_set_password_token(client.settings, user, None)
    page, csrf = await opened(client, f"/set-password?token={token}")
    assert page.status_code == 200 and "Choose your password" in page.text
    assert f'name="token" value="{token}"' in page.text and csrf
    assert "<script" not in page.text  # no script at all: the CSP allows none
    headers = page.headers
    assert "script-src" not in headers["content-security-policy"]
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"  # the token in the URL goes to no other origin
    assert headers["cache-control"] == "no-store"
    cookie = headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie

    nonce, first_csrf = client.http.cookies["salescoord_csrf"], csrf
    done = await submit(client, "/set-password", form(token, csrf))
    assert done.status_code == 200 and "Your password is set" in done.text, done.text
    assert "salescoord_csrf" not in client.http.cookies  # spent with the form
    assert await signs_in(client, "ann@example.test", NEW_PASSWORD)
    async with engine.connect() as connection:
        actions = (await connection.execute(sa.select(audit_events.c.action, audit_events.c.diff))).all()
    assert ("user.set_password", {"via": "set-password link"}) in [tuple(a) for a in actions]  # R25

    again, csrf = await opened(client, f"/set-password?token={token}")
    assert again.status_code == 410 and "used already" in text_of(again) and not csrf
    client.http.cookies.set("salescoord_csrf", nonce)  # the form of a second tab, sent late
    reused = await submit(client, "/set-password", form(token, first_csrf, "other passphrase"))
    assert reused.status_code == 410 and "used already" in text_of(reused)
    assert await signs_in(client, "ann@example.test", NEW_PASSWORD)


async def test_R32_a_cross_site_post_is_refused_and_writes_nothing(client, engine, make):
    user = await passwordless(make, engine)
    token = issue_set_password_token(client.settings, user, None)
    _, csrf = await opened(client, f"/set-password?token={token}")
    nonce = client.http.cookies["salescoord_csrf"]
    before = await snapshot(engine)
    refusals = {
        "R32-foreign-origin": dict(fields=form(token, csrf), origin="https://evil.example"),
        "R32-no-origin": dict(fields=form(token, csrf), origin=None),
        "R32-null-origin": dict(fields=form(token, csrf), origin="null"),
        "R32-forged-csrf-value": dict(fields=form(token, "0" * 64)),
        "R32-no-csrf-value": dict(fields={k: v for k, v in form(token, csrf).items() if k != "csrf"}),
    }
    for label, request in refusals.items():
        answer = await submit(client, "/set-password", **request)
        assert answer.status_code == 403, label
        assert "not sent from its own page" in text_of(answer), label
    client.http.cookies.clear()  # a cross-site POST: SameSite=Strict keeps the cookie home
    answer = await submit(client, "/set-password", form(token, csrf))
    assert answer.status_code == 403, "R32-no-csrf-cookie"
    client.http.cookies.set("salescoord_csrf", "another-" + nonce)  # the attacker's own nonce
    answer = await submit(client, "/set-password", form(token, csrf))
    assert answer.status_code == 403, "R32-cookie-of-another-nonce"
    assert await snapshot(engine) == before
    assert not await signs_in(client, "ann@example.test", NEW_PASSWORD)


async def test_R32_a_link_that_opens_nothing_says_why(client, engine, make):
    user = await passwordless(make, engine)
    expired = replace(client.settings, set_password_ttl_seconds=-60, reset_password_ttl_seconds=-60)
    other_key = replace(client.settings, secret_keys=("another-key-" + "y" * 40,))
    set_link = issue_set_password_token(client.settings, user, None)
    reset_link = issue_link_token(client.settings, user, None, RESET_PASSWORD)
    expired_reset = issue_link_token(expired, user, None, RESET_PASSWORD)
    cases = [
        ("R32-expired", "/set-password", issue_set_password_token(expired, user, None), 410, "has expired"),
        ("R32-expired-reset", "/reset-password", expired_reset, 410, "has expired"),
        ("R32-forged", "/set-password", "not.a.token", 400, "not valid"),
        ("R32-other-key", "/set-password", issue_set_password_token(other_key, user, None), 400, "not valid"),
        ("R4-sign-in-token", "/set-password", client.token(user), 400, "not valid"),
        ("R32-reset-link-on-set-page", "/set-password", reset_link, 400, "not valid"),
        ("R32-set-link-on-reset-page", "/reset-password", set_link, 400, "not valid"),
        ("R32-no-token", "/set-password", "", 400, "not valid"),
        ("R32-markup", "/set-password", '"><script>alert(1)</script>', 400, "not valid"),
    ]  # fmt: skip
    before = await snapshot(engine)
    for label, path, token, status, words in cases:
        page = await client.http.get(f"{path}?token={quote(token, safe='')}")
        assert (page.status_code, words in text_of(page)) == (status, True), label
        assert "<script>" not in page.text and 'name="password"' not in page.text, label
        assert page.headers["x-frame-options"] == "DENY", label
    assert await snapshot(engine) == before
    await make.execute(users.update().where(users.c.id == user).values(active=False))
    page = await client.http.get(
        f"/set-password?token={issue_set_password_token(client.settings, user, None)}"
    )
    assert page.status_code == 400 and "not valid" in text_of(page), "R32-deactivated-account"


async def test_R32_R23_bad_input_on_the_page_is_refused_clearly_and_writes_nothing(client, engine, make):
    user = await passwordless(make, engine)
    token = issue_set_password_token(client.settings, user, None)
    _, csrf = await opened(client, f"/set-password?token={token}")
    before = await snapshot(engine)
    fields = form(token, csrf)
    head, surrogate = f"token={token}&csrf={csrf}", "%ED%A0%80xxxxxxxxxx"  # UTF-8 of a lone surrogate
    cases = [
        ("R23-passwords-differ", form(token, csrf, repeat="something else entirely"), None, 400, "differ"),
        ("R23-too-short", form(token, csrf, "short"), None, 400, "10 to 200 characters"),
        ("R23-too-long", form(token, csrf, "x" * 201), None, 400, "10 to 200 characters"),
        ("R23-NUL", form(token, csrf, "nul\x00in the password"), None, 400, "NUL"),
        ("R23-NUL-in-token", form(token + "\x00", csrf), None, 400, "not valid"),
        ("R23-lone-surrogate", None, f"{head}&password={surrogate}&repeat={surrogate}", 400, UNREADABLE),
        ("R23-invalid-utf8", None, f"{head}&password=%FFxxxxxxxxxx&repeat=%FFxxxxxxxxxx", 400, UNREADABLE),
        ("R23-raw-non-ascii", None, f"{head}&password=\u00e9xxxxxxxxxx&repeat=x", 400, UNREADABLE),
        ("R23-field-twice", None, f"{head}&password=a&password=b&repeat=a", 400, UNREADABLE),
        ("R23-unknown-field", {**fields, "admin": "1"}, None, 400, UNREADABLE),
        ("R23-oversized", {**fields, "repeat": "x" * 9000}, None, 400, UNREADABLE),
    ]  # fmt: skip
    for label, fields_, raw, status, words in cases:
        answer = await submit(client, "/set-password", fields_ or {}, raw=raw.encode() if raw else None)
        assert (answer.status_code, words in text_of(answer)) == (status, True), (label, text_of(answer))
        assert "<script" not in answer.text
    as_json = await client.http.post(
        "/set-password", json=fields, headers={"Origin": ORIGIN}
    )  # a body of another kind
    assert as_json.status_code == 400, "R23-json-body"
    assert await snapshot(engine) == before
    ok = await submit(client, "/set-password", fields)  # the same link still works
    assert ok.status_code == 200


async def test_R32_a_reset_request_emails_a_link_the_reset_page_spends(client, engine, make, smtp):
    territory = await make.territory()
    user = await make.user("BUYER", "Ann", email="ann@example.test", company=await make.company(territory))
    admin = await make.admin()
    receipt = await client.data(REQUEST_RESET, {"email": " Ann@Example.test "})
    assert receipt == {"requestPasswordReset": {"email": "ann@example.test"}}
    outbox = await client.data(OUTBOX, as_user=admin)
    (notice,) = [n for n in outbox["outbox"]["nodes"] if n["kind"] == "PASSWORD_RESET"]
    assert notice["toAddress"] == "ann@example.test" and PLACEHOLDER in notice["bodyText"]
    audit = await client.data(AUDIT, as_user=admin)
    assert "user.request_password_reset" in {e["action"] for e in audit["auditEvents"]["nodes"]}  # R25
    assert "token=" not in str(outbox) + str(audit)  # no reader of either holds a link (R32)

    await deliver_all(engine, worker(engine, smtp))
    (email,) = smtp.to("ann@example.test")
    link = re.search(
        r"(http://\S+/reset-password\?token=\S+)", email.get_body(("plain",)).get_content()
    ).group(1)
    assert link.startswith(f"{ORIGIN}/reset-password?token=")
    path = link.removeprefix(ORIGIN)
    assert html.escape(link) in email.get_body(("html",)).get_content()
    page, csrf = await opened(client, path)
    assert page.status_code == 200 and "Reset your password" in page.text
    done = await submit(client, "/reset-password", form(path.split("token=")[1], csrf))
    assert done.status_code == 200 and "Your password is reset" in done.text
    assert await signs_in(client, "ann@example.test", NEW_PASSWORD)
    assert not await signs_in(client, "ann@example.test", PASSWORD)
    async with engine.connect() as connection:
        diff = (
            await connection.execute(
                sa.select(audit_events.c.diff).where(
                    audit_events.c.action == "user.reset_password", audit_events.c.object_id == user
                )
            )
        ).scalar_one()
    assert diff == {"via": "reset-password link"}
    again = await client.http.get(path)
    assert again.status_code == 410 and "used already" in text_of(again)


async def test_R32_reset_password_mutation_signs_in_once_and_a_changed_password_spends_the_link(
    client, engine, make
):
    territory = await make.territory()
    user = await make.user("BUYER", "Ann", email="ann@example.test", company=await make.company(territory))
    async with engine.connect() as connection:
        current = (
            await connection.execute(sa.select(users.c.password_hash).where(users.c.id == user))
        ).scalar()
    token = issue_link_token(client.settings, user, current, RESET_PASSWORD)
    wrong_kind = await client.post(SET_PASSWORD, {"token": token, "password": NEW_PASSWORD})
    assert codes(wrong_kind) == ["UNAUTHENTICATED"]  # a reset link sets no first password
    short = await client.post(RESET, {"token": token, "password": "short"})
    assert codes(short) == ["BAD_USER_INPUT"] and short["errors"][0]["extensions"]["field"] == "password"
    signed_in = (await client.data(RESET, {"token": token, "password": NEW_PASSWORD}))["resetPassword"]
    assert signed_in["user"] == {"id": gid("User", user), "role": "BUYER"}
    assert await client.data("query { viewer { email } }", token=signed_in["token"])
    again = await client.post(RESET, {"token": token, "password": "yet another passphrase"})
    assert codes(again) == ["UNAUTHENTICATED"] and again["errors"][0]["extensions"]["reason"] == "USED"
    # a link signed before the password changed (by any means) is spent
    stale = issue_link_token(client.settings, user, current, RESET_PASSWORD)
    refused = await client.post(RESET, {"token": stale, "password": "yet another passphrase"})
    assert refused["errors"][0]["extensions"]["reason"] == "USED"
    expired = replace(client.settings, reset_password_ttl_seconds=-1)
    late = await client.post(
        RESET, {"token": issue_link_token(expired, user, None, RESET_PASSWORD), "password": NEW_PASSWORD}
    )
    assert late["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED", "reason": "EXPIRED"}


async def test_R32_a_link_sent_before_a_key_rotation_works_while_its_key_is_configured(
    engine, settings, make
):
    """Links outlive a key rotation as sign-in tokens do: signed and fingerprinted with the
    old newest key, a link still resets the password once a new key is prepended, and is
    spent by it; once the old key is dropped, it is INVALID."""
    user = await make.user("ACCOUNT_MANAGER", "Ann", email="ann@example.test")
    async with engine.connect() as connection:
        current = (
            await connection.execute(sa.select(users.c.password_hash).where(users.c.id == user))
        ).scalar()
    before = replace(settings, secret_keys=("the key of last month, thirty-two+",))
    rotated = replace(settings, secret_keys=("the key of this month, thirty-two", *before.secret_keys))
    old_link, other_link = (issue_link_token(before, user, current, RESET_PASSWORD) for _ in range(2))
    dropped = replace(settings, secret_keys=rotated.secret_keys[:1])
    async with client_with(engine, dropped) as client:
        body = await client.post(RESET, {"token": other_link, "password": NEW_PASSWORD})
        assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED", "reason": "INVALID"}
    async with client_with(engine, rotated) as client:
        signed_in = (await client.data(RESET, {"token": old_link, "password": NEW_PASSWORD}))["resetPassword"]
        assert await client.data("query { viewer { email } }", token=signed_in["token"])
        again = await client.post(RESET, {"token": other_link, "password": "yet another passphrase"})
        assert again["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED", "reason": "USED"}


async def test_R32_a_reset_request_answers_alike_in_the_same_time_with_or_without_an_account(
    engine, settings, make
):
    territory = await make.territory()
    await make.user("BUYER", "Ann", email="ann@example.test", company=await make.company(territory))
    await make.user(
        "BUYER", "Gone", email="gone@example.test", company=await make.company(territory), active=False
    )
    addresses = ("ann@example.test", "nobody@example.test", "gone@example.test")
    answers, times = {}, {email: [] for email in addresses}
    async with client_with(engine, settings, password_reset_answer_seconds=0.2) as client:
        for _ in range(3):  # medians of three: this machine's other work adds noise to any one
            for email in addresses:
                started = time.perf_counter()
                answers[email] = await client.post(REQUEST_RESET, {"email": email})
                times[email].append(time.perf_counter() - started)
    assert [a["data"]["requestPasswordReset"] for a in answers.values()] == [{"email": e} for e in answers]
    assert all("errors" not in a for a in answers.values())
    assert min(min(t) for t in times.values()) >= 0.2, times  # each held to the fixed answer time
    medians = [statistics.median(t) for t in times.values()]
    assert max(medians) - min(medians) < 0.1, times
    async with engine.connect() as connection:
        sent = (await connection.execute(sa.select(emails.c.to_address))).scalars().all()
    assert sent == ["ann@example.test"] * 3  # an unknown or deactivated address gets nothing
    async with engine.connect() as connection:
        audited = (
            await connection.execute(
                sa.select(audit_events.c.actor_id, audit_events.c.object_id, audit_events.c.diff).where(
                    audit_events.c.action == "user.request_password_reset"
                )
            )
        ).all()
    # R25: every request audited, anonymous, naming the account only where there is one
    assert sorted((a.diff["email"], a.object_id is not None, a.actor_id) for a in audited) == sorted(
        (email, email == "ann@example.test", None) for email in addresses for _ in range(3)
    )


async def test_R23_R32_the_password_mutations_refuse_what_is_no_address_or_link(client, engine, make):
    user = await passwordless(make, engine)
    before = await snapshot(engine)
    for label, email in [
        ("R23-no-address", "not an address"),
        ("R23-oversized", "a" * 300 + "@example.test"),
    ]:
        body = await client.post(REQUEST_RESET, {"email": email})
        assert codes(body) == ["BAD_USER_INPUT"] and body["errors"][0]["extensions"]["field"] == "email", (
            label
        )
    for label, token in [("R32-oversized-token", "x" * 5000), ("R32-empty-token", "")]:
        body = await client.post(RESET, {"token": token, "password": NEW_PASSWORD})
        assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED", "reason": "INVALID"}, label
    set_link = issue_set_password_token(client.settings, user, None)
    body = await client.post(RESET, {"token": set_link, "password": NEW_PASSWORD})
    assert body["errors"][0]["extensions"]["reason"] == "INVALID", "R32-set-link-is-no-reset-link"
    assert await snapshot(engine) == before


async def test_R32_reset_requests_are_counted_per_address_and_per_ip(engine, settings, make, limiter_clock):
    territory = await make.territory()
    await make.user("BUYER", "Ann", email="ann@example.test", company=await make.company(territory))
    limits = dict(password_reset_answer_seconds=0, password_resets_per_address=2, password_resets_per_ip=6)
    async with client_with(engine, settings, **limits) as client:
        for email in ("ann@example.test", "nobody@example.test"):
            for _ in range(2):
                assert "errors" not in await client.post(REQUEST_RESET, {"email": email})
            third = await client.post(REQUEST_RESET, {"email": email})
            assert codes(third) == ["RATE_LIMITED"], email  # alike for both: the limit tells nothing
            assert third["errors"][0]["extensions"]["bucket"] == "password-reset"
        # the 7th request from this IP: the per-IP count refuses any address now
        other = await client.post(REQUEST_RESET, {"email": "third@example.test"})
        assert (
            codes(other) == ["RATE_LIMITED"]
            and other["errors"][0]["extensions"]["bucket"] == "password-reset-ip"
        )
    async with engine.connect() as connection:
        assert (await connection.execute(sa.select(sa.func.count()).select_from(emails))).scalar() == 2


async def test_R32_R5_a_user_created_without_a_password_is_invited(client, engine, make, smtp):
    admin = await make.admin()
    created = await client.data(
        CREATE_USER,
        {"input": {"email": "sam@example.test", "name": "Sam", "role": "SALES_COORDINATOR"}},
        as_user=admin,
    )
    await client.data(
        CREATE_USER,
        {
            "input": {
                "email": "pat@example.test",
                "name": "Pat",
                "role": "SALES_COORDINATOR",
                "password": PASSWORD,
            }
        },
        as_user=admin,
    )
    outbox = (await client.data(OUTBOX, as_user=admin))["outbox"]["nodes"]
    assert [(n["kind"], n["toAddress"]) for n in outbox] == [("INVITATION", "sam@example.test")]
    assert PLACEHOLDER in outbox[0]["bodyText"] and "token=" not in str(outbox)
    await deliver_all(engine, worker(engine, smtp))
    (invitation,) = smtp.to("sam@example.test")
    token = re.search(r"/set-password\?token=(\S+)", invitation.get_body(("plain",)).get_content()).group(1)
    signed_in = await client.data(SET_PASSWORD, {"token": token, "password": NEW_PASSWORD})
    assert signed_in["setPassword"]["user"] == {"id": created["createUser"]["id"]}
    assert await signs_in(client, "sam@example.test", NEW_PASSWORD)


async def test_R32_one_link_used_twice_at_once_sets_one_password(client, engine, make):
    user = await passwordless(make, engine)
    token = issue_set_password_token(client.settings, user, None)
    _, csrf = await opened(client, f"/set-password?token={token}")
    answers = await asyncio.gather(
        submit(client, "/set-password", form(token, csrf, "first passphrase")),
        submit(client, "/set-password", form(token, csrf, "second passphrase")),
    )
    assert sorted(a.status_code for a in answers) == [200, 410]
    assert await signs_in(client, "ann@example.test", "first passphrase") != await signs_in(
        client, "ann@example.test", "second passphrase"
    )
