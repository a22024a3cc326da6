"""R29 for the planner (issue 17): a query sent over graphql-transport-ws is planned as one
sent over HTTP, answers exactly as the resolvers do, and follows the links and the viewer of
the moment, although the socket's plan is kept and reused (R2, R3, R14).

uvicorn serves the planned app on 127.0.0.1; the expected answers come from an app without
the planner on the same database. On SQLite the planner stays out: the same test checks
that nothing is planned there.
"""

from __future__ import annotations

from salescoord.schema.planner import extension

from tests.apps import client_with
from tests.helpers import gid
from tests.live_server import serving, socket_to
from tests.test_sockets import Http, app_for, issue_token

DASHBOARD = """query Dashboard { viewer { name
  accountManagers(first: 10) { totalCount nodes { name
    associatedBuyers(first: 10) { totalCount nodes { name company { name territory { name } } } } } } } }"""
UNASSIGN_COORDINATORS = """mutation($am: ID!, $sc: ID!) {
  unassignCoordinators(accountManagerId: $am, coordinatorIds: [$sc]) { id } }"""
UNASSIGN_TERRITORIES = """mutation($am: ID!, $territory: ID!) {
  unassignTerritories(accountManagerId: $am, territoryIds: [$territory]) { id } }"""
RENAME = """mutation($id: ID!) { updateUser(input: {id: $id, name: "Cyd"}) { name } }"""
DEACTIVATE = """mutation($id: ID!) { updateUser(input: {id: $id, active: false}) { active } }"""


def account_managers(data: dict) -> dict[str, list[str]]:
    nodes = data["viewer"]["accountManagers"]["nodes"]
    return {am["name"]: [buyer["name"] for buyer in am["associatedBuyers"]["nodes"]] for am in nodes}


async def test_R29_R2_a_planned_query_over_a_socket_answers_as_the_resolvers_and_follows_every_change(
    engine, settings, make, backend
):
    north, east, south = (
        await make.territory("North"),
        await make.territory("East"),
        await make.territory("South"),
    )
    ada = await make.am("Ada", territories=[north, east])
    bo = await make.am("Bo", territories=[south])
    sc = await make.sc("Cy", ams=[ada, bo])
    admin = await make.admin()
    for territory, buyer in ((north, "Nell"), (east, "Ed"), (south, "Sam")):
        await make.buyer(await make.company(territory, f"{buyer}'s"), buyer)
    await make.buyer(await make.company(await make.territory("West"), "Dee's"), "Dee", direct_am=ada)
    on_postgresql = backend[0] == "postgresql"

    async with (
        client_with(engine, settings, planner=False) as resolvers,
        serving(app_for(engine, settings, planner=True)) as address,
        socket_to(address) as socket,
    ):
        http = Http(address, settings)
        await socket.signed_in(issue_token(settings, sc))

        async def planned_and_expected(operation_id: str) -> dict:
            before = extension.answered["plan"]
            over_socket = (await socket.run(operation_id, DASHBOARD))["payload"]
            over_http = await http.post(DASHBOARD, {}, as_user=sc)
            assert extension.answered["plan"] - before == (2 if on_postgresql else 0)
            expected = await resolvers.post(DASHBOARD, as_user=sc)
            assert over_socket == over_http == expected
            return over_socket["data"]

        first = await planned_and_expected("1")
        assert account_managers(first) == {"Ada": ["Dee", "Ed", "Nell"], "Bo": ["Sam"]}

        # the plan is kept; the links it reads are the database's at every execution (R3)
        await http.data(UNASSIGN_COORDINATORS, {"am": gid("User", bo), "sc": gid("User", sc)}, as_user=admin)
        await http.data(
            UNASSIGN_TERRITORIES, {"am": gid("User", ada), "territory": gid("Territory", east)}, as_user=admin
        )
        second = await planned_and_expected("2")
        assert account_managers(second) == {"Ada": ["Dee", "Nell"]}
        assert second["viewer"]["accountManagers"]["totalCount"] == 1

        # the viewer is read afresh for every operation on the socket, also for a plan
        await http.data(RENAME, {"id": gid("User", sc)}, as_user=admin)
        assert (await planned_and_expected("3"))["viewer"]["name"] == "Cyd"

        await http.data(DEACTIVATE, {"id": gid("User", sc)}, as_user=admin)
        assert await socket.run("4", DASHBOARD) == {"type": "close", "code": 4403}
