"""R10, R32: the outbox and the audit trail are back office. An app token, an admin's too, is
refused on both, and no reader of either, nor of the database itself, ever holds a usable
set-password link; the email that reaches the new buyer still carries one that works."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
import sqlalchemy as sa
from alembic import command
from salescoord.db.migrate import alembic_config
from salescoord.db.models.base import utcnow
from salescoord.db.session import create_engine
from salescoord.db.tables import registrations, users
from salescoord.permissions.enums import Channel

from salescoord.outbox.password_links import (
    PLACEHOLDER,
    issue_set_password_token,
    link,
    read_set_password_token,
)
from tests.helpers import codes, gid
from tests.registration_world import World, build_world
from tests.smtp import deliver_all, worker
from tests.test_registrations import APPROVE, REGISTER, SET_PASSWORD, application

OUTBOX = "query { outbox(first: 100) { totalCount nodes { kind toAddress subject bodyText bodyHtml } } }"
AUDIT = "query { auditEvents(first: 100) { totalCount nodes { action objectType diff } } }"
APPROVED = "Your registration is approved"
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


@pytest.fixture
async def world(make) -> World:
    return await build_world(make)


def usable_links(settings, text: str) -> list[str]:
    """Every string in `text` that the service would accept as a set-password link."""
    return [token for token in TOKEN_SHAPE.findall(text) if read_set_password_token(settings, token)]


async def stored_text(engine) -> str:
    """Every value of every table, as a reader of the database sees them."""
    rows: list[str] = []
    async with engine.connect() as connection:
        for table in users.metadata.sorted_tables:
            rows += [repr(tuple(row)) for row in await connection.execute(sa.select(table))]
    return "\n".join(rows)


async def approve_ann(client, engine, world) -> None:
    await client.data(REGISTER, application("ann@example.com", territory=world.district))
    async with engine.connect() as connection:
        pk = (await connection.execute(sa.select(registrations.c.id))).scalar_one()
    await client.data(APPROVE, {"input": {"id": gid("Registration", pk)}}, as_user=world.admin)


async def test_R10_an_admins_app_token_is_refused_on_the_outbox_and_the_audit_trail(client, world):
    for query in (OUTBOX, AUDIT):
        body = await client.post(query, as_user=world.admin, channel=Channel.APP)
        assert codes(body) == ["FORBIDDEN"], query
        assert body["data"] is None
        assert await client.data(query, as_user=world.admin)  # the same admin on the web reads it


async def test_R32_no_reader_of_the_outbox_the_audit_trail_or_the_tables_holds_a_usable_link(
    client, engine, world, smtp
):
    await approve_ann(client, engine, world)
    outbox = await client.data(OUTBOX, as_user=world.admin)
    (notice,) = [n for n in outbox["outbox"]["nodes"] if n["subject"] == APPROVED]
    assert PLACEHOLDER in notice["bodyText"] and PLACEHOLDER in notice["bodyHtml"]
    audit = await client.data(AUDIT, as_user=world.admin)
    assert {"registration.approve", "user.create"} & {e["action"] for e in audit["auditEvents"]["nodes"]}
    for shown in (json.dumps(outbox), json.dumps(audit), await stored_text(engine)):
        assert "token=" not in shown
        assert usable_links(client.settings, shown) == []

    await deliver_all(engine, worker(engine, smtp))
    (welcome,) = [m for m in smtp.to("ann@example.com") if m["Subject"] == APPROVED]
    text = welcome.get_body(("plain",)).get_content()
    token = re.search(r"/set-password\?token=(\S+)", text).group(1)
    assert f"?token={token}" in welcome.get_body(("html",)).get_content()
    signed_in = await client.data(SET_PASSWORD, {"token": token, "password": "a brand new passphrase"})
    assert signed_in["setPassword"]["user"]["role"] == "BUYER"
    assert usable_links(client.settings, await stored_text(engine)) == []  # sending kept nothing


async def test_R32_a_link_written_at_sending_is_signed_for_the_account_as_it_is_then(
    client, engine, world, smtp
):
    """A password set before the email goes out (by an admin, say) spends the link at once."""
    await approve_ann(client, engine, world)
    async with engine.begin() as connection:
        await connection.execute(
            users.update().where(users.c.email == "ann@example.com").values(password_hash="set-meanwhile")
        )
    await deliver_all(engine, worker(engine, smtp))
    (welcome,) = [m for m in smtp.to("ann@example.com") if m["Subject"] == APPROVED]
    token = re.search(r"/set-password\?token=(\S+)", welcome.get_body(("plain",)).get_content()).group(1)
    refused = await client.post(SET_PASSWORD, {"token": token, "password": "a brand new passphrase"})
    assert codes(refused) == ["UNAUTHENTICATED"]


EMAILS_AT_0006 = sa.table(
    "emails", *(sa.column(name) for name in ("id", "kind", "to_address", "subject", "body_text",
                                             "body_html", "status", "attempts", "created_at"))
)  # fmt: skip


async def test_R32_the_migration_takes_stored_links_out_of_the_outbox(empty_database, settings):
    """Emails queued before the links left the outbox: each loses its link, and one not sent
    yet keeps the account it was for, so the buyer still receives a working link."""
    await asyncio.to_thread(command.upgrade, alembic_config(empty_database), "0006")
    engine = create_engine(empty_database)
    try:
        now = utcnow()
        async with engine.begin() as connection:
            buyer = (
                await connection.execute(
                    sa.table("users", *(sa.column(c) for c in ("id", "email", "name", "role", "active",
                                                               "created_at", "updated_at")))
                    .insert()
                    .values(email="ann@example.com", name="Ann", role="BUYER", active=True,
                            created_at=now, updated_at=now)
                    .returning(sa.column("id"))
                )
            ).scalar_one()  # fmt: skip
            url = link(settings, issue_set_password_token(settings, buyer, None))
            for n, status in enumerate(["PENDING", "SENT", "PENDING"]):
                body = f"Choose your password:\n{url}\n" if n < 2 else "No link here: token=none"
                await connection.execute(
                    EMAILS_AT_0006.insert().values(
                        kind="DECISION_NOTICE", to_address="ann@example.com", subject=APPROVED,
                        body_text=body, body_html=f"<p>{body}</p>", status=status, attempts=0, created_at=now,
                    )
                )  # fmt: skip
        await asyncio.to_thread(command.upgrade, alembic_config(empty_database), "0007")
        async with engine.connect() as connection:
            rows = (await connection.execute(sa.text("SELECT * FROM emails ORDER BY id"))).all()
        pending, sent, plain = rows
        assert pending.body_text == f"Choose your password:\n{PLACEHOLDER}\n"
        assert pending.body_html == f"<p>Choose your password:\n{PLACEHOLDER}\n</p>"
        assert pending.set_password_user_id == buyer  # its link is written in at sending
        assert PLACEHOLDER in sent.body_text and sent.set_password_user_id is None
        assert plain.body_text == "No link here: token=none" and plain.set_password_user_id is None
        assert usable_links(settings, repr(rows)) == []
    finally:
        await engine.dispose()
