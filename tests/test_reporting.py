"""R12: reporting counts only the activity of the users the viewer may report on, in SQL.

The world: a region with two territories; AM one covers territory North (and the district
below it), AM two covers South and has a direct buyer elsewhere, AM three has only a direct
buyer. SC A supports AMs one and two, SC B AMs two and three: their scopes overlap in AM two
and AM two's buyers, so their totals differ exactly by the users only one of them sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from salescoord.db.queries.activity import ActivityKind
from salescoord.db.tables import activities, meeting_attendees, meetings
from salescoord.permissions.enums import Channel

from tests.helpers import PASSWORD, codes, gid

START, END = "2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z"
TOTALS = """query($start: DateTime!, $end: DateTime!) { reporting(start: $start, end: $end) {
  totals { signIns meetingsHeld notesWritten itemsAdded summariesSent registrationsDecided total }
  activity(first: 100) { totalCount nodes { label counts { total } user { id } } }
} }"""
EVERYTHING = """query($start: DateTime!, $end: DateTime!) { reporting(start: $start, end: $end) {
  totals { total }
  activity(first: 100) { nodes { label counts { total signIns } user { id name company { name } } } }
  byAccountManager(first: 100) { nodes { label counts { total } accountManager { id name } } }
  byTerritory(first: 100) { nodes { label counts { total } territory { id name parent { name } } } }
  byCompany(first: 100) { nodes { label counts { total } company { name territory { name } } } }
  byPeriod(unit: WEEK, first: 100) { nodes { start counts { total } } }
  topBuyers(first: 100) { nodes { label meetings buyer { id company { name } } } }
} }"""
EVERY_GROUPING = """query($start: DateTime!, $end: DateTime!) { reporting(start: $start, end: $end) {
  totals { total }
  activity(first: 100) { nodes { label counts { total } user { name } } }
  byAccountManager(first: 100) { nodes { label counts { total } accountManager { name } } }
  byTerritory(first: 100) { nodes { label counts { total } territory { name } } }
  byCompany(first: 100) { totalCount nodes { label counts { total } company { name } } }
  byPeriod(unit: MONTH, first: 100) { nodes { start counts { total } } }
  topBuyers(first: 100) { nodes { label meetings buyer { name } } }
} }"""
PERIODS = """query($unit: PeriodUnit!) {
reporting(start: "2026-01-01T00:00:00Z", end: "2026-04-01T00:00:00Z") {
  byPeriod(unit: $unit) { nodes { start counts { total } } }
} }"""


@dataclass
class World:
    ids: dict[str, int]
    events: dict[str, int]  # user name -> events in [START, END)


# user -> (kind, timestamp) events; two outside the period prove the range is half-open
EVENTS = {
    "SC A": [("SIGN_IN", "2026-01-05T09:00"), ("REGISTRATION_DECIDED", "2026-01-06T09:00")],
    "SC B": [("SIGN_IN", "2026-01-05T10:00")],
    "AM one": [("MEETING_HELD", "2026-01-07T09:00"), ("NOTE_WRITTEN", "2026-02-02T09:00")],
    "AM two": [("ITEM_ADDED", "2026-01-12T09:00"), ("SUMMARY_SENT", "2026-03-31T23:59")],
    "AM three": [("SIGN_IN", "2026-02-03T09:00"), ("SIGN_IN", "2026-04-01T00:00")],
    "north buyer": [("SIGN_IN", "2026-01-08T09:00")],
    "south buyer": [("SIGN_IN", "2026-01-09T09:00"), ("SIGN_IN", "2025-12-31T23:59")],
    "direct buyer two": [("SIGN_IN", "2026-03-02T09:00")],
    "direct buyer three": [("SIGN_IN", "2026-03-03T09:00"), ("SIGN_IN", "2026-03-04T09:00")],
    "Admin": [("SIGN_IN", "2026-01-05T08:00")],
}
SCOPES = {  # R12: who each viewer reports on
    "SC A": {"SC A", "AM one", "AM two", "north buyer", "south buyer", "direct buyer two"},
    "SC B": {"SC B", "AM two", "AM three", "south buyer", "direct buyer two", "direct buyer three"},
    "AM two": {"AM two", "south buyer", "direct buyer two"},
    "AM one": {"AM one", "north buyer"},
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def build_world(make) -> World:
    ids: dict[str, int] = {}
    region = ids["Region"] = await make.territory("Region")
    north = ids["North"] = await make.territory("North", region)
    district = ids["North district"] = await make.territory("North district", north)
    south = ids["South"] = await make.territory("South", region)
    elsewhere = ids["Elsewhere"] = await make.territory("Elsewhere")
    ids["AM one"] = await make.am("AM one", territories=[north])
    ids["AM two"] = await make.am("AM two", territories=[south])
    ids["AM three"] = await make.am("AM three")
    ids["SC A"] = await make.sc("SC A", ams=[ids["AM one"], ids["AM two"]])
    ids["SC B"] = await make.sc("SC B", ams=[ids["AM two"], ids["AM three"]])
    ids["Admin"] = await make.admin("Admin")
    north_co = ids["North Co"] = await make.company(district, "North Co")
    south_co = ids["South Co"] = await make.company(south, "South Co")
    other_co = ids["Other Co"] = await make.company(elsewhere, "Other Co")
    ids["north buyer"] = await make.buyer(north_co, "north buyer")
    ids["south buyer"] = await make.buyer(south_co, "south buyer")
    ids["direct buyer two"] = await make.buyer(other_co, "direct buyer two", direct_am=ids["AM two"])
    ids["direct buyer three"] = await make.buyer(other_co, "direct buyer three", direct_am=ids["AM three"])
    counted: dict[str, int] = {}
    for name, events in EVENTS.items():
        for kind, stamp in events:
            await make.execute(activities.insert().values(user_id=ids[name], kind=kind, at=at(stamp)))
            if at("2026-01-01T00:00") <= at(stamp) < at("2026-04-01T00:00"):
                counted[name] = counted.get(name, 0) + 1
    return World(ids, counted)


def expected_total(world: World, viewer: str) -> int:
    return sum(world.events.get(name, 0) for name in SCOPES[viewer])


@pytest.mark.parametrize("viewer", ["SC A", "SC B", "AM one", "AM two"], ids=lambda v: f"R12-{v}")
async def test_R12_totals_and_rows_count_only_the_viewers_reporting_scope(client, make, viewer):
    world = await build_world(make)
    data = await client.data(TOTALS, {"start": START, "end": END}, as_user=world.ids[viewer])
    report = data["reporting"]
    assert report["totals"]["total"] == expected_total(world, viewer)
    rows = {row["label"]: row["counts"]["total"] for row in report["activity"]["nodes"]}
    assert rows == {name: world.events[name] for name in SCOPES[viewer] if name in world.events}
    assert report["activity"]["totalCount"] == len(rows)


async def test_R12_two_scs_with_overlapping_scopes_differ_exactly_by_what_only_one_sees(client, make):
    world = await build_world(make)
    totals = {}
    for sc in ("SC A", "SC B"):
        data = await client.data(TOTALS, {"start": START, "end": END}, as_user=world.ids[sc])
        totals[sc] = data["reporting"]["totals"]["total"]
    only_a = sum(world.events.get(n, 0) for n in SCOPES["SC A"] - SCOPES["SC B"])
    only_b = sum(world.events.get(n, 0) for n in SCOPES["SC B"] - SCOPES["SC A"])
    assert totals["SC A"] - totals["SC B"] == only_a - only_b
    assert only_a != only_b  # the world makes the difference visible


async def test_R12_totals_count_each_kind(client, make):
    world = await build_world(make)
    data = await client.data(TOTALS, {"start": START, "end": END}, as_user=world.ids["SC A"])
    assert data["reporting"]["totals"] == {
        "signIns": 4,  # SC A, north buyer, south buyer (in range), direct buyer two
        "meetingsHeld": 1,
        "notesWritten": 1,
        "itemsAdded": 1,
        "summariesSent": 1,
        "registrationsDecided": 1,
        "total": 9,
    }


async def test_R12_R14_view_reporting_all_users_granted_at_run_time_counts_everyone(client, make):
    world = await build_world(make)
    before = await client.data(TOTALS, {"start": START, "end": END}, as_user=world.ids["SC A"])
    assert before["reporting"]["totals"]["total"] == expected_total(world, "SC A")
    await client.data(
        "mutation { setRolePermissions(role: SALES_COORDINATOR, permissions: "
        "[VIEW_REPORTING_ALL_USERS, MANAGE_MEETINGS]) { name } }",
        as_user=world.ids["Admin"],
    )
    after = await client.data(TOTALS, {"start": START, "end": END}, as_user=world.ids["SC A"])
    assert after["reporting"]["totals"]["total"] == sum(world.events.values())
    rows = {row["label"]: row["user"] for row in after["reporting"]["activity"]["nodes"]}
    assert rows["AM three"] is None  # counted and named, but not a profile SC A may open (R2)
    assert rows["AM one"] == {"id": gid("User", world.ids["AM one"])}
    admin = await client.data(TOTALS, {"start": START, "end": END}, as_user=world.ids["Admin"])
    assert admin["reporting"]["totals"]["total"] == sum(world.events.values())


@pytest.mark.parametrize("channel", [Channel.WEB, Channel.APP], ids=["R12-buyer-web", "R12-buyer-app"])
async def test_R12_buyers_see_no_reporting(client, make, channel):
    world = await build_world(make)
    body = await client.post(
        TOTALS, {"start": START, "end": END}, as_user=world.ids["north buyer"], channel=channel
    )
    assert codes(body) == ["FORBIDDEN"]
    assert body["data"] is None


async def test_R23_a_period_that_ends_before_it_starts_is_bad_input(client, make):
    world = await build_world(make)
    body = await client.post(TOTALS, {"start": END, "end": START}, as_user=world.ids["SC A"])
    assert codes(body) == ["BAD_USER_INPUT"]


async def test_R12_groupings_by_am_territory_company_and_buyer(client, make):
    world = await build_world(make)
    ids = world.ids
    first, second = await make.meeting(ids["AM two"]), await make.meeting(ids["AM two"])
    await make.execute(meetings.update().values(starts_at=at("2026-02-01T10:00")))
    for meeting, buyer in ((first, "south buyer"), (first, "direct buyer two"), (second, "direct buyer two")):
        await make.execute(meeting_attendees.insert().values(meeting_id=meeting, buyer_id=ids[buyer]))
    # an event about a buyer counts for the buyer's company and their AMs
    await make.execute(
        activities.insert().values(
            user_id=ids["AM one"], kind="ITEM_ADDED", subject_id=ids["south buyer"], at=at("2026-02-05T09:00")
        )
    )
    data = await client.data(EVERYTHING, {"start": START, "end": END}, as_user=ids["SC A"])
    report = data["reporting"]
    by_am = {row["label"]: row["counts"]["total"] for row in report["byAccountManager"]["nodes"]}
    # AM one: own 3 + north buyer 1; AM two: own 2 + south buyer 1 + direct buyer two 1 + the item about
    # the south buyer 1
    assert by_am == {"AM one": 4, "AM two": 5}
    by_territory = {row["label"]: row["counts"]["total"] for row in report["byTerritory"]["nodes"]}
    assert by_territory == {"Region": 3, "North": 1, "North district": 1, "South": 2, "Elsewhere": 1}
    by_company = {row["label"]: row["counts"]["total"] for row in report["byCompany"]["nodes"]}
    assert by_company == {"North Co": 1, "South Co": 2, "Other Co": 1}
    top = [(row["label"], row["meetings"]) for row in report["topBuyers"]["nodes"]]
    assert top == [("direct buyer two", 2), ("south buyer", 1)]
    opened = {row["label"]: row["territory"] for row in report["byTerritory"]["nodes"]}
    assert opened["North"]["name"] == "North"
    assert opened["Region"] is None  # rolled up and named, but above SC A's territories (R2)


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("DAY", {"2026-01-05": 1, "2026-01-06": 1, "2026-01-07": 1, "2026-01-08": 1}),
        ("WEEK", {"2026-01-05": 5, "2026-01-12": 1, "2026-02-02": 1, "2026-03-02": 1, "2026-03-30": 1}),
        ("MONTH", {"2026-01-01": 6, "2026-02-01": 1, "2026-03-01": 2}),
    ],
    ids=["R12-day", "R12-week", "R12-month"],
)
async def test_R12_periods_bucket_by_utc_day_iso_week_and_month(client, make, unit, expected):
    world = await build_world(make)
    data = await client.data(PERIODS, {"unit": unit}, as_user=world.ids["SC A"])
    buckets = {row["start"]: row["counts"]["total"] for row in data["reporting"]["byPeriod"]["nodes"]}
    if unit == "DAY":
        buckets = {day: n for day, n in buckets.items() if day < "2026-01-09"}
    assert buckets == expected
    assert list(buckets) == sorted(buckets)


async def test_R12_activity_pages_with_cursors(client, make):
    world = await build_world(make)
    query = """query($after: String) {
    reporting(start: "2026-01-01T00:00:00Z", end: "2026-04-01T00:00:00Z") {
      activity(first: 2, after: $after) {
        pageInfo { hasNextPage endCursor } nodes { label counts { total } }
      }
    } }"""
    seen, after = [], None
    while True:
        data = await client.data(query, {"after": after}, as_user=world.ids["SC B"])
        page = data["reporting"]["activity"]
        seen += [(row["counts"]["total"], row["label"]) for row in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(label for _, label in seen) == sorted(n for n in SCOPES["SC B"] if n in world.events)
    assert [total for total, _ in seen] == sorted((total for total, _ in seen), reverse=True)


async def test_R12_sign_in_and_item_added_are_recorded_with_the_change(client, make, engine):
    import sqlalchemy as sa

    world = await build_world(make)
    ids = world.ids
    email = f"am{ids['AM two']}@example.test"
    await make.execute(sa.text(f"UPDATE users SET email = '{email}' WHERE id = {ids['AM two']}"))
    await client.data(
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p, client: WEB) { token } }",
        {"e": email, "p": PASSWORD},
    )
    content = await make.content()
    buyer_list = await make.list(ids["AM two"], "BUYER", buyer=ids["south buyer"])
    await client.data(
        "mutation($l: ID!, $c: ID!) { addListItem(listId: $l, contentId: $c) { id } }",
        {"l": gid("List", buyer_list), "c": gid("Content", content)},
        as_user=ids["AM two"],
    )
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                sa.select(activities.c.kind, activities.c.subject_id)
                .where(activities.c.user_id == ids["AM two"], activities.c.at > at("2026-06-01T00:00"))
                .order_by(activities.c.id)
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        (ActivityKind.SIGN_IN.value, None),
        (ActivityKind.ITEM_ADDED.value, ids["south buyer"]),
    ]


async def test_R12_statement_count_is_the_same_for_10_and_200_users(client, make, engine, statements):
    """Every grouping and every object it opens is one statement per field, however many rows.
    (Each grouping opens objects of its own kind, so what one field's loader has cached
    does not spare another a statement at one size and not at the other.)"""
    import sqlalchemy as sa
    from salescoord.db.tables import users

    from tests.test_statement_counts import _empty, world_of

    counts = {}
    for buyers in (10, 200):
        sc = await world_of(make, buyers)
        async with engine.begin() as connection:
            user_ids = (await connection.execute(sa.select(users.c.id))).scalars().all()
            await connection.execute(
                activities.insert(),
                [
                    {"user_id": u, "kind": kind, "subject_id": None, "at": at(f"2026-01-{day:02d}T09:00")}
                    for u in user_ids
                    for kind, day in (("SIGN_IN", 5), ("ITEM_ADDED", 20))
                ],
            )
        statements["count"] = 0
        body = await client.post(EVERY_GROUPING, {"start": START, "end": END}, token=client.token(sc))
        assert not body.get("errors"), body["errors"]
        assert len(body["data"]["reporting"]["activity"]["nodes"]) == min(buyers + 3, 100)
        counts[buyers] = statements["count"]
        await _empty(engine)
    assert counts[10] == counts[200], counts
    assert counts[10] <= 17, counts  # viewer, totals, 6 groupings, one count, 4 loaders
