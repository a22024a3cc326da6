"""The planner's kept plans and statements are bounded for the whole process (issue 17).

A built and compiled statement weighs about 0.6 MB for the SC dashboard. Kept per viewer
scope without a bound on the whole, a few accounts sending a few hundred different queries
each would have grown the process by gigabytes. The process keeps at most PLANS_KEPT plans
and STATEMENTS_KEPT statements, least recently used first out; a plan names its statements
by shape and holds none. Here with small bounds: many different queries, by two viewers, in
and out of the kept sets, each answered exactly as the resolvers answer it. On SQLite the
planner keeps nothing.
"""

from __future__ import annotations

from collections import OrderedDict

from salescoord.schema.planner import extension

from tests.apps import client_with

DASHBOARD = """query Dashboard {{ {alias}: viewer {{ name
  accountManagers(first: {size}) {{ totalCount nodes {{ name
    associatedBuyers(first: 2) {{ nodes {{ name company {{ name }} }} }} }} }} }} }}"""


async def test_the_kept_plans_and_statements_stay_within_their_bounds_and_answer_alike(
    engine, settings, make, backend, monkeypatch
):
    monkeypatch.setattr(extension, "PLANS_KEPT", 6)
    monkeypatch.setattr(extension, "STATEMENTS_KEPT", 3)
    monkeypatch.setattr(extension, "_plans", OrderedDict())
    monkeypatch.setattr(extension, "_statements", OrderedDict())
    north = await make.territory()
    ams = [await make.am(f"AM {n}", territories=[north]) for n in range(3)]
    viewers = [await make.sc("Cy", ams=ams), await make.sc("Di", ams=ams[:1])]
    for n in range(4):
        await make.buyer(await make.company(north, f"Company {n}"), f"Buyer {n}")
    queries = [DASHBOARD.format(alias=f"dashboard{n}", size=1 + n % 3) for n in range(10)]
    on_postgresql = backend[0] == "postgresql"

    async with (
        client_with(engine, settings, planner=False) as resolvers,
        client_with(engine, settings, planner=True) as planned,
    ):
        before = extension.answered["plan"]
        sent = 0
        for query in (*queries, *queries[:3], *reversed(queries)):
            for viewer in viewers:
                got = await planned.post(query, as_user=viewer)
                assert got == await resolvers.post(query, as_user=viewer)
                assert "errors" not in got and got["data"]
                sent += 1
                assert len(extension._plans) <= 6 and len(extension._statements) <= 3
        assert extension.answered["plan"] - before == (sent if on_postgresql else 0)
        if on_postgresql:
            assert len(extension._plans) == 6 and len(extension._statements) == 3
            # a repeated request finds its plan and its statements: nothing is built again
            kept = extension._statements[next(reversed(extension._statements))]
            assert await planned.post(queries[0], as_user=viewers[1]) == await resolvers.post(
                queries[0], as_user=viewers[1]
            )
            assert extension._statements[next(reversed(extension._statements))] is kept
        else:
            assert not extension._plans and not extension._statements
