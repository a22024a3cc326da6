"""R36: reporting audience (MINE or ALL) and the CSV export of each grouping.

A viewer with VIEW_REPORTING_ALL_USERS reports on everyone by default and on their own scope
with MINE; everyone else gets MINE and is refused ALL. Each grouping downloads as CSV from
GET /reports/<grouping>.csv with exactly the rows, order and figures of the GraphQL answer,
for the same sign-in, period and audience. The world is tests/test_reporting.py's.
"""

from __future__ import annotations

import csv
import io

import pytest
from salescoord.db.tables import activities, meeting_attendees, meetings
from salescoord.permissions.enums import Channel

from salescoord import report_export
from tests.helpers import codes
from tests.test_reporting import END, EVENTS, SCOPES, START, at, build_world

COUNTS = "counts { signIns meetingsHeld notesWritten itemsAdded summariesSent registrationsDecided total }"
COUNT_FIELDS = [
    "signIns",
    "meetingsHeld",
    "notesWritten",
    "itemsAdded",
    "summariesSent",
    "registrationsDecided",
]
COUNT_FIELDS.append("total")
REPORT = f"""query($start: DateTime!, $end: DateTime!, $audience: Audience) {{
  reporting(start: $start, end: $end, audience: $audience) {{
    audience totals {{ total }}
    activity(first: 100) {{ pageInfo {{ hasNextPage }} nodes {{ label {COUNTS} }} }}
    byAccountManager(first: 100) {{ pageInfo {{ hasNextPage }} nodes {{ label {COUNTS} }} }}
    byTerritory(first: 100) {{ pageInfo {{ hasNextPage }} nodes {{ label {COUNTS} }} }}
    byCompany(first: 100) {{ pageInfo {{ hasNextPage }} nodes {{ label {COUNTS} }} }}
    byPeriod(unit: WEEK, first: 100) {{ pageInfo {{ hasNextPage }} nodes {{ start {COUNTS} }} }}
    topBuyers(first: 100) {{ pageInfo {{ hasNextPage }} nodes {{ label meetings }} }}
  }}
}}"""
GROUPINGS = ["activity", "byAccountManager", "byTerritory", "byCompany", "byPeriod", "topBuyers"]
GRANT_ALL = """mutation { setRolePermissions(role: SALES_COORDINATOR, permissions:
  [VIEW_REPORTING_ALL_USERS, MANAGE_MEETINGS, MANAGE_REGISTRATIONS]) { name } }"""
EVERYONE = sum(1 for events in EVENTS.values() for _, stamp in events if "2026-01" <= stamp < "2026-04")


async def report(client, viewer: int, audience: str | None = None) -> dict:
    variables = {"start": START, "end": END, "audience": audience}
    return (await client.data(REPORT, variables, as_user=viewer))["reporting"]


async def download(client, viewer: int | None, grouping: str, channel: Channel = Channel.WEB, **params):
    query = {"start": START, "end": END, **params}
    if grouping == "byPeriod":
        query.setdefault("unit", "WEEK")
    headers = {"Authorization": f"Bearer {await client.any_token(viewer, channel)}"} if viewer else {}
    return await client.http.get(f"/reports/{grouping}.csv", params=query, headers=headers)


def as_rows(report_answer: dict, grouping: str) -> list[list[str]]:
    """The GraphQL answer of a grouping as the CSV writes it: header, then one row per node."""
    connection = report_answer[grouping]
    assert connection["pageInfo"]["hasNextPage"] is False  # the whole grouping is on the page
    if grouping == "topBuyers":
        rows = [["label", "meetings"]]
        rows += [[report_export.safe_cell(n["label"]), str(n["meetings"])] for n in connection["nodes"]]
        return rows
    key = "start" if grouping == "byPeriod" else "label"
    rows = [[key, *COUNT_FIELDS]]
    for node in connection["nodes"]:
        rows.append([report_export.safe_cell(node[key]), *(str(node["counts"][f]) for f in COUNT_FIELDS)])
    return rows


async def reporting_world(make):
    """The reporting world, with meetings for topBuyers and an event about a buyer."""
    world = await build_world(make)
    ids = world.ids
    first, second = await make.meeting(ids["AM two"]), await make.meeting(ids["AM one"])
    await make.execute(meetings.update().values(starts_at=at("2026-02-01T10:00")))
    for meeting, buyer in ((first, "south buyer"), (first, "direct buyer two"), (second, "north buyer")):
        await make.execute(meeting_attendees.insert().values(meeting_id=meeting, buyer_id=ids[buyer]))
    await make.execute(
        activities.insert().values(
            user_id=ids["AM one"], kind="ITEM_ADDED", subject_id=ids["south buyer"], at=at("2026-02-05T09:00")
        )
    )
    return world


async def test_R36_a_viewer_with_view_reporting_all_users_chooses_mine_or_all(client, make):
    world = await build_world(make)
    admin = world.ids["Admin"]
    default, everyone, mine = [await report(client, admin, audience) for audience in (None, "ALL", "MINE")]
    assert (default["audience"], everyone["audience"], mine["audience"]) == ("ALL", "ALL", "MINE")
    assert default["totals"]["total"] == everyone["totals"]["total"] == EVERYONE
    assert mine["totals"]["total"] == world.events["Admin"]  # an admin's own scope: themselves
    assert [n["label"] for n in mine["activity"]["nodes"]] == ["Admin"]


async def test_R36_everyone_else_gets_mine_and_is_refused_all(client, make):
    world = await build_world(make)
    sc = world.ids["SC A"]
    default, mine = await report(client, sc), await report(client, sc, "MINE")
    assert default == mine and mine["audience"] == "MINE"
    assert mine["totals"]["total"] == sum(world.events.get(name, 0) for name in SCOPES["SC A"])
    body = await client.post(REPORT, {"start": START, "end": END, "audience": "ALL"}, as_user=sc)
    assert codes(body) == ["FORBIDDEN"] and body["errors"][0]["extensions"]["field"] == "audience"
    assert body["data"] is None


async def test_R36_R14_granted_view_reporting_all_users_an_sc_chooses_on_the_next_request(client, make):
    world = await build_world(make)
    sc = world.ids["SC A"]
    await client.data(GRANT_ALL, as_user=world.ids["Admin"])
    default, mine = await report(client, sc), await report(client, sc, "MINE")
    assert default["audience"] == "ALL" and default["totals"]["total"] == EVERYONE
    # MINE is still the SC's own scope (R2), not the admin's nor everyone's
    assert mine["totals"]["total"] == sum(world.events.get(name, 0) for name in SCOPES["SC A"])
    assert {n["label"] for n in mine["activity"]["nodes"]} == SCOPES["SC A"] & set(world.events)


@pytest.mark.parametrize(
    "viewer, audience",
    [("Admin", None), ("Admin", "MINE"), ("SC A", None), ("AM two", "MINE")],
    ids=["R36-admin-all", "R36-admin-mine", "R36-sc", "R36-am"],
)
async def test_R36_each_grouping_downloads_as_csv_with_the_figures_of_the_graphql_answer(
    client, make, monkeypatch, viewer, audience
):
    monkeypatch.setattr(report_export, "ROWS_PER_CHUNK", 2)  # several chunks of the stream
    world = await reporting_world(make)
    answer = await report(client, world.ids[viewer], audience)
    params = {"audience": audience} if audience else {}
    for grouping in GROUPINGS:
        response = await download(client, world.ids[viewer], grouping, **params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        disposition = response.headers["content-disposition"]
        assert disposition.startswith(
            f'attachment; filename="{grouping}-{answer["audience"].lower()}-2026-01-01'
        )
        assert response.headers["x-report-audience"] == answer["audience"]
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows == as_rows(answer, grouping), grouping
    assert sum(len(answer[grouping]["nodes"]) for grouping in GROUPINGS) >= 2  # not vacuous


REFUSALS = [
    pytest.param(None, "activity", {}, 401, "UNAUTHENTICATED", id="R4-anonymous"),
    pytest.param("north buyer", "activity", {}, 403, "FORBIDDEN", id="R12-buyer"),
    pytest.param("SC A", "activity", {"audience": "ALL"}, 403, "FORBIDDEN", id="R36-sc-all"),
    pytest.param("SC A", "activity", {"audience": "SOME"}, 400, "BAD_USER_INPUT", id="R23-audience"),
    pytest.param("SC A", "activity", {"start": "yesterday"}, 400, "BAD_USER_INPUT", id="R23-start"),
    pytest.param("SC A", "activity", {"start": END, "end": START}, 400, "BAD_USER_INPUT", id="R23-end"),
    pytest.param("SC A", "activity", {"end": "2030-01-01T00:00:00Z"}, 400, "BAD_USER_INPUT", id="R23-long"),
    pytest.param("SC A", "activity", {"start": "2026-01-01\x00"}, 400, "BAD_USER_INPUT", id="R23-nul"),
    pytest.param("SC A", "byPeriod", {"unit": "YEAR"}, 400, "BAD_USER_INPUT", id="R23-unit"),
    pytest.param("SC A", "byRegion", {}, 404, "NOT_FOUND", id="R22-grouping"),
]


@pytest.mark.parametrize("viewer, grouping, params, status, code", REFUSALS)
async def test_R36_R22_a_download_is_refused_as_the_graphql_answer_is(
    client, make, viewer, grouping, params, status, code
):
    world = await build_world(make)
    response = await download(client, world.ids[viewer] if viewer else None, grouping, **params)
    assert response.status_code == status, response.text
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == [code]


async def test_R36_R14_a_download_follows_a_permission_granted_on_the_next_request(client, make):
    world = await build_world(make)
    sc = world.ids["SC A"]
    assert (await download(client, sc, "activity", audience="ALL")).status_code == 403
    await client.data(GRANT_ALL, as_user=world.ids["Admin"])
    response = await download(client, sc, "activity")
    assert response.status_code == 200 and response.headers["x-report-audience"] == "ALL"
    labels = {row[0] for row in csv.reader(io.StringIO(response.text))} - {"label"}
    assert labels == set(world.events)  # everyone with activity in the period


async def test_R10_R36_an_app_token_downloads_no_report(client, make):
    world = await build_world(make)
    response = await download(client, world.ids["AM one"], "activity", channel=Channel.APP)
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_R36_a_name_a_spreadsheet_would_run_as_a_formula_is_written_as_text(client, make):
    world = await build_world(make)
    names = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\tTab", "Plain"]
    company = await make.company(await make.territory("T"), "=cmd|' /C calc'!A0")
    for name in names:
        buyer = await make.buyer(company, name, direct_am=world.ids["AM one"])
        await make.execute(
            activities.insert().values(user_id=buyer, kind="SIGN_IN", at=at("2026-01-10T09:00"))
        )
    text = (await download(client, world.ids["Admin"], "activity")).text
    labels = {row[0] for row in csv.reader(io.StringIO(text))}
    assert {'\'=HYPERLINK("http://x","y")', "'+1", "'-2+3", "'@SUM(A1)", "'\tTab", "Plain"} <= labels
    companies = [
        row[0]
        for row in csv.reader(io.StringIO((await download(client, world.ids["Admin"], "byCompany")).text))
    ]
    assert "'=cmd|' /C calc'!A0" in companies


async def test_R36_a_download_costs_the_same_statements_for_15_and_65_rows(client, make, statements, backend):
    world = await build_world(make)
    counts = []
    for more in (0, 50):
        company = await make.company(await make.territory())
        for n in range(more):
            buyer = await make.buyer(company, f"Extra buyer {n}")
            await make.execute(
                activities.insert().values(user_id=buyer, kind="SIGN_IN", at=at("2026-02-10T09:00"))
            )
        statements["count"] = 0
        response = await download(client, world.ids["Admin"], "activity")
        assert response.status_code == 200
        counts.append((statements["count"], len(response.text.splitlines())))
    # the viewer, then the report's one statement (and SQLite's BEGIN before each)
    assert counts[0][0] == counts[1][0] == {"postgresql": 2, "sqlite": 4}[backend[0]], counts
    assert counts[1][1] == counts[0][1] + 50
