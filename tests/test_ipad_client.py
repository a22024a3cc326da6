"""The reference iPad client (ipad_client/) against the real server over HTTP and WebSocket:
sign-in with a device, the snapshot, the queue with numbers and client ids (R16, R31), lost
answers, refresh (R30), the feed (R18), live notes (R19) and revocation (R29, R30)."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from salescoord.db import tables
from salescoord.db.tables import list_items, lists, notes

from ipad_client import Network
from ipad_client.client import SignedOut
from salescoord.app import attach_engine, create_app
from tests.ipad_world import (
    DETACH,
    PASSWORD,
    REVOKE,
    UPDATE_MEETING,
    WEB_NOTE,
    Web,
    build_market,
    expired,
    gid,
    ipad_for,
    pk,
    stale_cursor,
)
from tests.live_server import serving


@pytest.fixture
async def market(engine):
    return await build_market(engine)


@pytest.fixture
async def server(engine, settings):
    app = create_app(settings)
    attach_engine(app, engine)
    async with serving(app) as address:
        web = Web(address, settings)
        yield address, web
        await web.close()


async def _rows(engine, table, client_id: str) -> int:
    async with engine.connect() as connection:
        return (
            await connection.execute(sa.select(sa.func.count()).where(table.c.client_id == client_id))
        ).scalar_one()


async def test_R30_R18_the_client_signs_in_as_a_device_and_its_snapshot_holds_what_the_host_sees(
    server, market
):
    address, _ = server
    async with ipad_for(address) as ipad:
        await ipad.sign_in(market.email, PASSWORD, "Ann's iPad")
        assert ipad.device_id and ipad.refresh_token and ipad.last_number == 0
        store = await ipad.snapshot()
    assert set(store.of_type("Meeting")) == {gid("Meeting", market.meeting), gid("Meeting", market.moving)}
    assert store.objects[gid("Meeting", market.meeting)]["attendees"] == {gid("User", market.buyer)}
    assert [n["text"] for n in store.of_type("Note").values()] == ["Prefers blue"]
    assert {gid("List", market.sc_list), gid("List", market.am_list)} <= set(store.of_type("List"))
    assert len(store.of_type("Content")) == 2
    assert store.cursor


async def test_R31_queued_mutations_name_a_queued_list_by_its_client_id_and_take_numbers_in_order(
    server, market, engine
):
    address, _ = server
    async with ipad_for(address) as ipad:
        await ipad.sign_in(market.email, PASSWORD)
        await ipad.snapshot()
        new_list = ipad.queue_list("For Friday")
        item = ipad.queue_item(new_list, gid("Content", market.contents[0]), "in red")
        note = ipad.queue_note(gid("Meeting", market.meeting), "Loves the red")
        await ipad.sync()
    assert [(p.operation, p.number, p.outcome) for p in ipad.queue.done] == [
        ("CreateList", 1, "APPLIED"),
        ("AddListItem", 2, "APPLIED"),
        ("CreateNote", 3, "APPLIED"),
    ]
    assert [await _rows(engine, t, c) for t, c in ((lists, new_list), (list_items, item), (notes, note))] == [
        1,
        1,
        1,
    ]
    held = ipad.store.objects
    assert held[ipad.store.by_client_id(item)]["list"] == ipad.store.by_client_id(new_list)
    assert held[ipad.store.by_client_id(note)]["text"] == "Loves the red"


async def test_R31_lost_answers_are_sent_again_with_the_same_number_and_take_effect_once(
    server, market, engine
):
    address, _ = server
    network = Network()
    async with ipad_for(address, network) as ipad:
        await ipad.sign_in(market.email, PASSWORD)
        await ipad.snapshot()
        note = ipad.queue_note(gid("Meeting", market.meeting), "Said yes")
        new_list = ipad.queue_list("Lost twice")
        network.lose, network.losing = 3, {"CreateNote", "CreateList"}
        await ipad.sync()
    assert network.lost == 3
    assert [(p.number, p.sent, p.outcome) for p in ipad.queue.done] == [(1, 4, "APPLIED"), (2, 1, "APPLIED")]
    assert await _rows(engine, notes, note) == 1 and await _rows(engine, lists, new_list) == 1
    async with engine.connect() as connection:
        assert (await connection.execute(sa.select(tables.devices.c.last_mutation_number))).scalar_one() == 2


async def test_R31_a_refused_mutation_frees_its_number_for_the_next(server, market, engine):
    """The meeting moved to another host while the device was offline: its note is NOT_FOUND,
    writes nothing, and the next mutation takes the number it would have had."""
    address, web = server
    async with ipad_for(address) as ipad:
        await ipad.sign_in(market.email, PASSWORD)
        await ipad.snapshot()
        lost_note = ipad.queue_note(gid("Meeting", market.moving), "Too late")
        kept = ipad.queue_list("Still mine")
        await web.data(
            UPDATE_MEETING,
            {"id": gid("Meeting", market.moving), "host": gid("User", market.other_am)},
            market.sc,
        )
        await ipad.sync()
        assert [(p.number, p.outcome) for p in ipad.queue.done] == [(None, "NOT_FOUND"), (1, "APPLIED")]
        assert await _rows(engine, notes, lost_note) == 0 and await _rows(engine, lists, kept) == 1
        assert gid("Meeting", market.moving) not in ipad.store.objects  # REMOVED_FROM_VIEW


async def test_R30_an_expired_token_is_refreshed_also_when_the_refresh_answer_is_lost(
    server, market, settings
):
    address, _ = server
    network = Network()
    async with ipad_for(address, network) as ipad:
        await ipad.sign_in(market.email, PASSWORD)
        first_refresh = ipad.refresh_token
        ipad.token = expired(settings, ipad.token)
        network.lose, network.losing = 1, {"Refresh"}
        await ipad.snapshot()
        assert ipad.refreshes == 1 and network.lost == 1 and ipad.refresh_token != first_refresh


async def test_R18_the_feed_brings_web_edits_host_changes_and_detached_lists(server, market):
    address, web = server
    async with ipad_for(address) as ipad:
        await ipad.sign_in(market.email, PASSWORD)
        await ipad.snapshot()
        await web.data(WEB_NOTE, {"m": gid("Meeting", market.meeting), "t": "Call Tuesday"}, market.sc)
        await web.data(
            UPDATE_MEETING,
            {"id": gid("Meeting", market.moving), "host": gid("User", market.other_am)},
            market.sc,
        )
        await web.data(
            DETACH, {"m": gid("Meeting", market.meeting), "l": gid("List", market.sc_list)}, market.sc
        )
        await ipad.pull()
        fresh = ipad_for(address)
        fresh.token = ipad.token
        async with fresh:
            await fresh.snapshot()
        assert ipad.store.objects == fresh.store.objects
        assert "Call Tuesday" in {n["text"] for n in ipad.store.of_type("Note").values()}
        assert gid("List", market.sc_list) not in ipad.store.objects


async def test_R19_R30_live_notes_arrive_over_the_socket_and_revocation_closes_it(server, market):
    address, web = server
    async with ipad_for(address) as ipad:
        await ipad.sign_in(market.email, PASSWORD)
        async with ipad.live_notes(gid("Meeting", market.meeting)) as live:
            await asyncio.sleep(0.3)
            await web.data(
                WEB_NOTE, {"m": gid("Meeting", market.meeting), "t": "Live from the web"}, market.sc
            )
            assert (await live.wait_for("Live from the web"))["text"] == "Live from the web"
            await web.data(REVOKE, {"id": ipad.device_id}, market.admin)
            await asyncio.wait_for(live.ended.wait(), 5)
            assert live.close_code == 4401
        with pytest.raises(SignedOut):
            await ipad.snapshot()


async def test_R22_R31_a_body_over_the_limit_is_refused_with_413_and_frees_its_number(server, market, engine):
    """A note far over MAX_BODY_BYTES never reaches GraphQL: BAD_USER_INPUT, nothing written,
    and the next mutation takes the number (docs/sync-protocol.md, section 7)."""
    address, _ = server
    async with ipad_for(address) as ipad:
        await ipad.sign_in(market.email, PASSWORD)
        await ipad.snapshot()
        too_big = ipad.queue_note(gid("Meeting", market.meeting), "x" * 300_000)
        kept = ipad.queue_note(gid("Meeting", market.meeting), "Short")
        await ipad.send_queue()
    assert [(p.number, p.outcome) for p in ipad.queue.done] == [(None, "BAD_USER_INPUT"), (1, "APPLIED")]
    assert await _rows(engine, notes, too_big) == 0 and await _rows(engine, notes, kept) == 1


async def test_R18_a_cursor_past_the_retention_gets_RESYNC_REQUIRED_and_the_client_takes_the_snapshot_again(
    server, market, settings
):
    address, web = server
    async with ipad_for(address) as ipad:
        await ipad.sign_in(market.email, PASSWORD)
        await ipad.snapshot()
        await web.data(WEB_NOTE, {"m": gid("Meeting", market.meeting), "t": "While away"}, market.sc)
        ipad.store.cursor = stale_cursor(settings, ipad.store.cursor, pk(ipad.user_id))
        await ipad.pull()
        assert ipad.resyncs == 1
        assert "While away" in {n["text"] for n in ipad.store.of_type("Note").values()}
        fresh = ipad_for(address)
        fresh.token = ipad.token
        async with fresh:
            assert (await fresh.snapshot()).objects == ipad.store.objects
