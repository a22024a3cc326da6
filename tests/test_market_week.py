"""R16–R19, R29–R31: a market week of the iPad, generated (hypothesis, stateful).

The reference client (ipad_client/) is the iPad of an AM. In a week the device goes offline
and online; while offline the AM makes lists, adds items (also to a list still in the queue,
named by its client id) and writes notes; answers are lost after the server committed; the
access token expires and is refreshed (a refresh answer may be lost too); on the web the SC
writes notes and annotates items, moves a meeting to another AM and back, and detaches their
list from the AM's meeting and attaches it again. At each reconnection, once the queue is sent
and the feed followed:

- the device's store equals a fresh full read (the snapshot) of what the AM may see;
- every queued mutation took effect exactly once (its object is in the database once), or was
  refused and wrote nothing, and only where the week says it must be refused: a note for a
  meeting the AM no longer hosts, an item for the SC's list once it is detached;
- the device's last mutation number (R31) counts exactly the applied mutations.

At the end the device is revoked: its live socket closes and its tokens are refused.

Each example is a new market in the same database (the server and the catalogue are shared);
the state machine runs in a worker thread and hands each step to the test's event loop, where
uvicorn serves. Examples and steps: MARKET_WEEKS (100) and MARKET_STEPS (10); `make fuzz`
runs SALESCOORD_FUZZ=long with 1,000 weeks.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from salescoord.db import tables
from salescoord.db.tables import list_items, lists, notes

from ipad_client import IPad, Network
from ipad_client.client import SignedOut
from salescoord.app import attach_engine, create_app
from tests.ipad_world import (
    ATTACH,
    DETACH,
    ITEM_NOTE,
    ITEM_VERSION,
    PASSWORD,
    REVOKE,
    UPDATE_MEETING,
    WEB_NOTE,
    Cast,
    Market,
    Web,
    build_cast,
    build_market,
    expired,
    gid,
    ipad_for,
    pk,
    stale_cursor,
)
from tests.live_server import serving

LONG = os.environ.get("SALESCOORD_FUZZ") == "long"
WEEKS = int(os.environ.get("MARKET_WEEKS", 1000 if LONG else 100))
STEPS = int(os.environ.get("MARKET_STEPS", 10))
SOCKET_EVERY = 20  # weeks whose revocation also closes a live socket (1 in 20)
TABLE_OF = {"CreateList": lists, "AddListItem": list_items, "CreateNote": notes}


@dataclass
class World:
    """What the state machine shares with the test: the loop serving, the database, tallies."""

    loop: asyncio.AbstractEventLoop
    engine: object
    settings: object
    address: str
    web: Web
    cast: Cast
    reader: IPad  # the fresh full reads
    tallies: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # by step

    def count(self, what: str, n: int = 1) -> None:
        self.tallies[what] = self.tallies.get(what, 0) + n


def market_week(world: World) -> type[RuleBasedStateMachine]:
    class MarketWeek(RuleBasedStateMachine):
        """One week of one AM's iPad."""

        def run(self, coroutine):
            started = time.monotonic()
            try:
                return asyncio.run_coroutine_threadsafe(coroutine, world.loop).result(timeout=60)
            finally:
                name = coroutine.__qualname__.rsplit(".", 1)[-1]
                world.seconds[name] = world.seconds.get(name, 0) + time.monotonic() - started

        @initialize()
        def open_the_week(self) -> None:
            self.market: Market = self.run(build_market(world.engine, world.cast))
            self.network = Network()
            self.ipad: IPad = ipad_for(world.address, self.network)
            self.run(self._start())
            self.hosts_moving = True  # the AM hosts the moving meeting
            self.attached = True  # the SC's list is attached to the AM's meeting
            self.expected: dict[str, bool] = {}  # client id -> must it take effect
            self.checked = 0  # queue.done entries already checked
            self.unchecked = True  # something happened since the last check
            world.count("weeks")

        async def _start(self) -> None:
            await self.ipad.__aenter__()
            await self.ipad.sign_in(self.market.email, PASSWORD, "Market iPad")
            await self.ipad.snapshot()

        # -- the device ------------------------------------------------------------------------
        @rule()
        def go_offline(self) -> None:
            self.unchecked = True
            self.network.online = False

        @rule(lost=st.integers(0, 2))
        def come_online(self, lost: int) -> None:
            """The queue is sent (answers may be lost), the feed followed, and the store checked."""
            self.network.online = True
            self.network.lose, self.network.losing = lost, set()
            self.run(self.ipad.sync())
            self.network.lose = 0
            self.run(self._check())
            self.unchecked = False
            world.count("reconnections")

        @rule(name=st.sampled_from(["Friday", "Samples", "For Anna"]))
        def make_a_list(self, name: str) -> None:
            self.unchecked = True
            self.expected[self.ipad.queue_list(name)] = True

        @rule(which=st.integers(0, 2), content=st.integers(0, 1), data=st.data())
        def add_an_item(self, which: int, content: int, data) -> None:
            """To the AM's own list, to the SC's list attached to the meeting, or to a list
            still in the queue (named by its client id)."""
            self.unchecked = True
            queued = [p.creates for p in self.ipad.queue.pending if p.operation == "CreateList"]
            if which == 2 and queued:
                target, kind = data.draw(st.sampled_from(queued)), "queued"
            elif which == 1:
                target, kind = gid("List", self.market.sc_list), "sc"
            else:
                target, kind = gid("List", self.market.am_list), "own"
            client_id = self.ipad.queue_item(target, gid("Content", world.cast.contents[content]), "noted")
            self.kinds[client_id] = kind

        @rule(moving=st.booleans(), text=st.sampled_from(["Wants blue", "Call back", "Ordered 40"]))
        def write_a_note(self, moving: bool, text: str) -> None:
            self.unchecked = True
            meeting = self.market.moving if moving else self.market.meeting
            self.kinds[self.ipad.queue_note(gid("Meeting", meeting), text)] = (
                "moving" if moving else "meeting"
            )

        @rule(lose_refresh=st.booleans())
        def token_expires(self, lose_refresh: bool) -> None:
            """The access token's lifetime passes; the next refresh answer may be lost."""
            self.unchecked = True
            self.ipad.token = expired(world.settings, self.ipad.token)
            if lose_refresh:
                self.network.lose, self.network.losing = 1, {"Refresh"}
            world.count("expiries")

        @rule(weeks_away=st.integers(0, 3))
        def stays_away_past_the_retention(self, weeks_away: int) -> None:
            """The device's cursor grows older than FEED_RETENTION_DAYS: its next sync gets
            RESYNC_REQUIRED and takes the snapshot again. Rarely (a quarter of the times the
            step is drawn), so that most reconnections follow the feed."""
            if weeks_away < 3:
                return
            self.unchecked = True
            ipad = self.ipad
            ipad.store.cursor = stale_cursor(world.settings, ipad.store.cursor, pk(ipad.user_id))
            world.count("stale cursors")

        # -- the web ---------------------------------------------------------------------------
        @rule(moving=st.booleans())
        def sc_writes_a_note(self, moving: bool) -> None:
            self.unchecked = True
            meeting = self.market.moving if moving else self.market.meeting
            self.run(
                world.web.data(
                    WEB_NOTE, {"m": gid("Meeting", meeting), "t": "From the office"}, self.market.sc
                )
            )

        @rule(note=st.sampled_from(["Show first", "Out of stock", None]))
        def sc_annotates_an_item(self, note: str | None) -> None:
            self.unchecked = True

            async def annotate() -> None:
                item = gid("ListItem", self.market.sc_item)
                version = (await world.web.data(ITEM_VERSION, {"id": item}, self.market.sc))["node"][
                    "version"
                ]
                await world.web.data(ITEM_NOTE, {"id": item, "note": note, "v": version}, self.market.sc)

            self.run(annotate())

        @rule()
        def the_host_changes(self) -> None:
            self.unchecked = True
            host = self.market.other_am if self.hosts_moving else self.market.am
            self.run(
                world.web.data(
                    UPDATE_MEETING,
                    {"id": gid("Meeting", self.market.moving), "host": gid("User", host)},
                    self.market.sc,
                )
            )
            self.hosts_moving = not self.hosts_moving

        @rule()
        def the_list_is_detached_or_attached_again(self) -> None:
            self.unchecked = True
            operation = DETACH if self.attached else ATTACH
            variables = {"m": gid("Meeting", self.market.meeting), "l": gid("List", self.market.sc_list)}
            self.run(world.web.data(operation, variables, self.market.sc))
            self.attached = not self.attached

        # -- checks ----------------------------------------------------------------------------
        async def _check(self) -> None:
            ipad = self.ipad
            assert not ipad.queue.pending
            world.reader.token = ipad.token  # the same viewer, read afresh
            fresh = await world.reader.snapshot()
            assert ipad.store.objects == fresh.objects
            applied = 0
            async with world.engine.connect() as connection:
                for item in ipad.queue.done[self.checked :]:
                    if item.outcome in ("APPLIED", "ALREADY_APPLIED"):
                        applied += 1
                    table = TABLE_OF[item.operation]
                    rows = (
                        await connection.execute(
                            sa.select(sa.func.count()).where(table.c.client_id == item.creates)
                        )
                    ).scalar_one()
                    took_effect = item.outcome == "APPLIED"
                    assert rows == int(took_effect), (item, rows)
                    assert took_effect == self._must_take_effect(item), (item, self.kinds.get(item.creates))
                    world.count("applied" if took_effect else f"refused {item.outcome}")
                    world.count("sent twice or more" if item.sent > 1 else "sent once")
                last = (
                    await connection.execute(
                        sa.select(tables.devices.c.last_mutation_number).where(
                            tables.devices.c.id == pk(ipad.device_id)
                        )
                    )
                ).scalar_one()
            self.checked = len(ipad.queue.done)
            self.applied_total = getattr(self, "applied_total", 0) + applied
            assert last == ipad.last_number == self.applied_total

        def _must_take_effect(self, item) -> bool:
            """The week decides: the state at the reconnection that sent it."""
            kind = self.kinds.get(item.creates)
            if kind == "moving":
                return self.hosts_moving
            if kind == "sc":
                return self.attached
            if kind == "queued":
                parent = item.variables["listId"]
                return any(p.creates == parent and p.outcome == "APPLIED" for p in self.ipad.queue.done)
            return True

        @property
        def kinds(self) -> dict[str, str]:
            if not hasattr(self, "_kinds"):
                self._kinds = {}
            return self._kinds

        @invariant()
        def queue_numbers_are_the_next_ones(self) -> None:
            numbers = [p.number for p in self.ipad.queue.pending if p.number is not None]
            assert all(n == self.ipad.last_number + 1 for n in numbers)

        def teardown(self) -> None:
            if not hasattr(self, "ipad"):
                return
            if self.ipad.token is None:  # the week broke before the device signed in
                self.run(self.ipad.__aexit__(None, None, None))
                return
            self.run(self._revoke())

        async def _revoke(self) -> None:
            """The device is revoked on the web: its socket closes, its tokens are refused."""
            ipad = self.ipad
            try:
                self.network.online, self.network.lose = True, 0
                if self.unchecked:  # the week's last reconnection, checked like every other
                    await ipad.sync()
                    await self._check()
                if world.tallies["weeks"] % SOCKET_EVERY == 1:  # the socket's close takes up to a poll
                    async with ipad.live_notes(gid("Meeting", self.market.meeting)) as live:
                        await asyncio.sleep(0.05)
                        await world.web.data(REVOKE, {"id": ipad.device_id}, self.market.admin)
                        await asyncio.wait_for(live.ended.wait(), 5)
                        assert live.close_code == 4401
                    world.count("sockets closed by the revocation")
                else:
                    await world.web.data(REVOKE, {"id": ipad.device_id}, self.market.admin)
                try:
                    await ipad.pull()
                except SignedOut:
                    world.count("revoked")
                else:
                    raise AssertionError("a revoked device still reads")
                world.count("resyncs", ipad.resyncs)
            finally:
                await ipad.__aexit__(None, None, None)

    MarketWeek.TestCase.settings = settings(
        max_examples=WEEKS,
        stateful_step_count=STEPS,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=not LONG,
        database=None,
    )
    return MarketWeek


async def test_R16_R18_R19_R29_R30_R31_a_market_week_of_the_ipad_converges_and_applies_each_mutation_once(
    engine, settings: object, backend
):
    cast = await build_cast(engine)
    # a week signs in once, so hundreds of weeks sign in from one address (login limits: R22)
    app = create_app(dataclasses.replace(settings, login_attempts_per_ip=0))
    attach_engine(app, engine)
    async with serving(app) as address:
        web = Web(address, settings)
        reader = await ipad_for(address).__aenter__()
        world = World(asyncio.get_running_loop(), engine, settings, address, web, cast, reader)
        machine = market_week(world)
        started = time.monotonic()
        try:
            await asyncio.to_thread(run_state_machine_as_test, machine, settings=machine.TestCase.settings)
        finally:
            await web.close()
            await reader.__aexit__(None, None, None)
        took = time.monotonic() - started
    print(
        f"\nmarket week on {backend[0]}: {WEEKS} weeks of up to {STEPS} steps in {took:.1f} s;"
        f" {world.tallies}; seconds by step: {world.seconds}"
    )
    assert world.tallies["weeks"] >= WEEKS
    assert world.tallies.get("revoked", 0) == world.tallies["weeks"]
    assert world.tallies.get("expiries", 0) > 0 and world.tallies.get("sent twice or more", 0) > 0
    assert world.tallies.get("resyncs", 0) > 0
    if WEEKS >= 100:  # a short run may meet no refusal
        assert any(k.startswith("refused") for k in world.tallies)
