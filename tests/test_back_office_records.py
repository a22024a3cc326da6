"""R10, R32: the outbox and the audit trail are back office. An app token, an admin's too, is
refused on both, and no reader of either, nor of the database itself, ever holds a usable
set-password link; the email that reaches the new buyer still carries one that works."""

from __future__ import annotations

import pytest

from permissions.enums import Channel
from tests.helpers import codes
from tests.registration_world import World, build_world

OUTBOX = "query { outbox(first: 100) { totalCount nodes { kind toAddress subject bodyText bodyHtml } } }"
AUDIT = "query { auditEvents(first: 100) { totalCount nodes { action objectType diff } } }"


@pytest.fixture
async def world(make) -> World:
    return await build_world(make)


async def test_R10_an_admins_app_token_is_refused_on_the_outbox_and_the_audit_trail(client, world):
    for query in (OUTBOX, AUDIT):
        body = await client.post(query, as_user=world.admin, channel=Channel.APP)
        assert codes(body) == ["FORBIDDEN"], query
        assert body["data"] is None
        assert await client.data(query, as_user=world.admin)  # the same admin on the web reads it
