"""R18, R24: the documented snapshot (salescoord/sync/snapshot.graphql) fills an empty iPad.
Every operation fits every bound of one query; read as docs/sync-protocol.md says (the cursor
first, every page of every connection), it gives the host's meetings of the coming days, their
attendees, notes, lists and items, the Lists section and the catalogue, exactly as the
database holds them, for the demo AM and for a generated host whose connections run past
every page."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from graphql import OperationDefinitionNode, parse
from salescoord.db.tables import (
    contents,
    list_items,
    lists,
    meeting_attendees,
    meeting_lists,
    meetings,
    notes,
    users,
)
from salescoord.permissions.enums import Channel, RoleName
from salescoord.permissions.scope import Scope
from salescoord.permissions.viewer import Viewer
from salescoord.schema.limits.measure import measure
from salescoord.schema.root import schema

from salescoord.demo import load_demo
from salescoord.settings import Settings
from tests.conftest import ROOT
from tests.helpers import Client
from tests.snapshot_reader import DOCUMENT, Store, read_snapshot

DEFAULTS = Settings(database_url="", secret_keys=("unused",))
DAYS = 14
# small pages, so that the generated host walks every continuation operation
SMALL = {
    "SnapshotMeetings": {"meetings": 2, "attendees": 2, "notes": 2, "lists": 2, "items": 2},
    "SnapshotMeetingAttendees": {"first": 2},
    "SnapshotMeetingNotes": {"first": 2},
    "SnapshotMeetingLists": {"lists": 1, "items": 2},
    "SnapshotLists": {"lists": 2, "items": 3},
    "SnapshotListItems": {"first": 2},
    "SnapshotCatalogue": {"first": 5},
}
REQUIRED = {
    "from": "2027-01-01T00:00:00Z",
    "to": "2027-01-15T00:00:00Z",
    "meeting": "x",
    "list": "x",
    "after": "x",
}


def operations() -> list[str]:
    return [d.name.value for d in parse(DOCUMENT).definitions if isinstance(d, OperationDefinitionNode)]


@pytest.mark.parametrize("operation", operations())
def test_R24_every_snapshot_operation_fits_every_bound_at_its_page_sizes(operation):
    """Measured as the server measures a request that leaves the page sizes out."""
    document = parse(DOCUMENT, max_tokens=DEFAULTS.max_tokens)  # the whole document is sent
    measured = measure(schema._schema, document, operation, REQUIRED, budget=DEFAULTS.max_fields)
    for bound in ("depth", "aliases", "directives", "nodes", "cost"):
        assert getattr(measured, bound) <= getattr(DEFAULTS, f"max_{bound}"), (operation, bound, measured)
    if operation == "SnapshotMeetings":  # the page sizes the doc promises, not a trivial query
        assert measured.nodes == 50 + 50 * 50 * 2 + 50 * 10 + 50 * 10 * 50


async def _post(client: Client, user: int):
    token = await client.app_token(user)

    async def post(operation: str, variables: dict[str, Any]) -> dict[str, Any]:
        body = {"query": DOCUMENT, "operationName": operation, "variables": variables}
        response = await client.http.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})
        return response.json()

    return post


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


async def full_read(engine, host: int, start: datetime, end: datetime) -> Store:
    """The store as the database holds it for an app host (R10: the meetings they host, every
    note of them, every list attached; their Lists section; the whole catalogue)."""
    store = Store()
    async with engine.connect() as c:
        hosted = (
            await c.execute(
                sa.select(meetings).where(
                    meetings.c.host_id == host, meetings.c.starts_at >= start, meetings.c.starts_at < end
                )
            )
        ).all()
        ids = [m.id for m in hosted]
        for m in hosted:
            store.meetings[gid("Meeting", m.id)] = {
                "title": m.title,
                "version": m.version,
                "status": m.status,
            }
            store.attendees[gid("Meeting", m.id)] = set()
            store.meeting_lists[gid("Meeting", m.id)] = set()
        # attendees as far as the host may see them (R1): the scope's rule, applied to the users
        host_row = (await c.execute(sa.select(users).where(users.c.id == host))).one()
        viewer = Viewer(
            host, host_row.email, host_row.name, RoleName(host_row.role), frozenset(), Channel.APP
        )
        seen = sa.select(users.c.id).where(Scope(viewer).users())
        attending = sa.select(meeting_attendees).where(
            meeting_attendees.c.meeting_id.in_(ids), meeting_attendees.c.buyer_id.in_(seen)
        )
        for a in (await c.execute(attending)).all():
            store.attendees[gid("Meeting", a.meeting_id)].add(gid("User", a.buyer_id))
            store.people[gid("User", a.buyer_id)] = {}
        for n in (await c.execute(sa.select(notes).where(notes.c.meeting_id.in_(ids)))).all():
            store.notes[gid("Note", n.id)] = {
                "meeting": gid("Meeting", n.meeting_id),
                "text": n.text,
                "version": n.version,
                "shared": n.shared,
            }
        attached = (
            await c.execute(sa.select(meeting_lists).where(meeting_lists.c.meeting_id.in_(ids)))
        ).all()
        for a in attached:
            store.meeting_lists[gid("Meeting", a.meeting_id)].add(gid("List", a.list_id))
        section = (
            await c.execute(
                sa.select(lists.c.id).where(sa.or_(lists.c.owner_id == host, lists.c.kind == "GLOBAL"))
            )
        ).scalars()
        store.section = {gid("List", pk) for pk in section}
        list_ids = {a.list_id for a in attached} | {int(_pk(g)) for g in store.section}
        for lst in (await c.execute(sa.select(lists).where(lists.c.id.in_(list_ids)))).all():
            store.lists[gid("List", lst.id)] = {"name": lst.name, "kind": lst.kind, "version": lst.version}
        for i in (await c.execute(sa.select(list_items).where(list_items.c.list_id.in_(list_ids)))).all():
            store.items[gid("ListItem", i.id)] = {
                "list": gid("List", i.list_id),
                "position": i.position,
                "note": i.note,
                "version": i.version,
                "content": gid("Content", i.content_id),
            }
        for row in (await c.execute(sa.select(contents))).all():
            store.contents[gid("Content", row.id)] = {
                "title": row.title,
                "kind": row.kind,
                "reference": row.reference,
            }
    return store


def _pk(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":")[1]


def comparable(store: Store) -> dict[str, Any]:
    """The read store in the full read's terms."""
    return {
        "meetings": {
            k: {"title": v["title"], "version": v["version"], "status": v["status"]}
            for k, v in store.meetings.items()
        },
        "attendees": store.attendees,
        "people": set(store.people),
        "notes": {
            k: {"meeting": v["meeting"], "text": v["text"], "version": v["version"], "shared": v["shared"]}
            for k, v in store.notes.items()
        },
        "meeting_lists": store.meeting_lists,
        "section": store.section,
        "lists": {
            k: {"name": v["name"], "kind": v["kind"], "version": v["version"]} for k, v in store.lists.items()
        },
        "items": {
            k: {
                "list": v["list"],
                "position": v["position"],
                "note": v["note"],
                "version": v["version"],
                "content": v["content"]["id"],
            }
            for k, v in store.items.items()
        },
        "contents": {
            k: {"title": v["title"], "kind": v["kind"], "reference": v["reference"]}
            for k, v in store.contents.items()
        },
    }


def expected(store: Store) -> dict[str, Any]:
    return {
        "meetings": store.meetings,
        "attendees": store.attendees,
        "people": set(store.people),
        "notes": store.notes,
        "meeting_lists": store.meeting_lists,
        "section": store.section,
        "lists": store.lists,
        "items": store.items,
        "contents": store.contents,
    }


async def test_R18_the_snapshot_of_the_demo_am_equals_a_full_read(client, engine, backend, capsys):
    """The demo's am1 through the app, page sizes as documented: also the figure the sync
    document quotes (requests, objects, cost)."""
    await load_demo(backend[1], 1)
    async with engine.connect() as c:
        am = await c.scalar(sa.select(users.c.id).where(users.c.email == "am1@demo.salescoord.test"))
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=DAYS)
    store, tally = await read_snapshot(await _post(client, am), start, end)
    assert comparable(store) == expected(await full_read(engine, am, start, end))
    assert store.meetings and store.items and store.contents and store.cursor
    assert tally.largest_nodes <= DEFAULTS.max_nodes and tally.largest_cost <= DEFAULTS.max_cost
    with capsys.disabled():
        print(
            f"\nsnapshot of the demo AM ({backend[0]}): {tally.requests} requests {tally.by_operation}, "
            f"{store.objects()} objects, total cost {tally.cost} (largest request: cost "
            f"{tally.largest_cost}, nodes {tally.largest_nodes})"
        )


@pytest.fixture
async def generated_host(make) -> tuple[int, datetime]:
    """A host whose every connection runs past the small pages: meetings in and out of the
    window, and things of another AM that must not come."""
    rng = random.Random(20261204)
    north = await make.territory("North")
    company = await make.company(north, "Northwind")
    am, other = await make.am("Host", territories=[north]), await make.am("Other", territories=[north])
    buyers = [await make.buyer(company, f"Buyer {n}", direct_am=am) for n in range(6)]
    catalogue = [await make.content(f"Item {n}") for n in range(12)]
    start = datetime(2027, 3, 1, tzinfo=UTC)

    async def a_list(owner: int, kind: str = "PERSONAL") -> int:
        lst = await make.list(owner, kind)
        for position, content in enumerate(rng.sample(catalogue, rng.randint(0, 5))):
            await make.item(lst, content, position, note=rng.choice([None, "in blue"]))
        return lst

    for day in [*rng.sample(range(DAYS), 5), -1, DAYS + 1]:  # two outside the window
        meeting = await make.meeting(am, title=f"Day {day}")
        await make.execute(
            meetings.update().where(meetings.c.id == meeting).values(starts_at=start + timedelta(days=day))
        )
        for buyer in rng.sample(buyers, rng.randint(0, 5)):
            await make.attendee(meeting, buyer)
        for _ in range(rng.randint(0, 5)):
            await make.note(meeting, author=am, shared=rng.random() < 0.5)
        for _ in range(rng.randint(0, 3)):
            await make.attach_list(meeting, await a_list(rng.choice([am, other])))
    for _ in range(5):
        await a_list(am)
    await a_list(other, "GLOBAL")
    await a_list(other)  # not the host's: never in their snapshot
    other_meeting = await make.meeting(other)
    await make.execute(meetings.update().where(meetings.c.id == other_meeting).values(starts_at=start))
    return am, start


@pytest.mark.parametrize("pages", [SMALL, None], ids=["small-pages", "documented-pages"])
async def test_R18_the_snapshot_of_a_generated_host_equals_a_full_read(client, engine, generated_host, pages):
    am, start = generated_host
    end = start + timedelta(days=DAYS)
    store, tally = await read_snapshot(await _post(client, am), start, end, pages)
    assert comparable(store) == expected(await full_read(engine, am, start, end))
    if pages is SMALL:  # every continuation operation was needed and used
        assert set(tally.by_operation) == set(operations())
    else:
        assert tally.requests == 4  # cursor, meetings, lists, catalogue: each in one page


def test_R18_the_sync_document_quotes_the_snapshot_operations_as_they_are():
    """docs/sync-protocol.md shows the exact queries: the file, verbatim."""
    doc = (ROOT / "docs" / "sync-protocol.md").read_text()
    assert f"```graphql\n{DOCUMENT}```" in doc
