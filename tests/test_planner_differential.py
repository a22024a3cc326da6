"""The planner answers exactly as the resolvers do (issue 17; R1-R13 on every path).

Every query runs twice, as every viewer of the fuzzed matrix's world (tests/test_fuzz_scope.py),
through two apps on the same database: one with the planner (`Settings.planner`), one
without. The two responses must be identical: the same `data`, key order included, and the
same errors. Two pools:

- queries made of what the planner compiles (tests/planner_queries.py): most of them are
  answered by a plan, which the test counts so the proof is not vacuous;
- a slice of the fuzzed matrix's own pool (tests/fuzz_queries.py): every field of the
  schema, so the planner must also recognise what it does not know and leave it alone.

The planner runs on PostgreSQL only; on SQLite the test checks that it stays out of the way.

Sizes for `make test` (per database, per viewer): PLANNED queries of the first pool and
FUZZED of the second, on PostgreSQL (ON_SQLITE queries on SQLite); `make fuzz`
(SALESCOORD_FUZZ=long) runs five times as many.
"""

from __future__ import annotations

import asyncio
import json
import os
import re

from salescoord.permissions.enums import Channel
from salescoord.schema.planner import extension

from tests import fuzz_queries, planner_queries
from tests.apps import client_with
from tests.fuzz_oracle import Tables
from tests.test_fuzz_scope import ids_by_type, realistic_world, substitute

LONG = os.environ.get("SALESCOORD_FUZZ") == "long"
PLANNED = 60 * (5 if LONG else 1)
FUZZED = 20 * (5 if LONG else 1)
ON_SQLITE = 10  # the planner stays out of the way: a few queries show it


SIGNED_CURSOR = re.compile(r"[A-Za-z0-9_=-]+\.[A-Za-z0-9_-]{24}")


def _comparable(body: dict) -> str:
    """The body as text, key order kept; the change feed's signed cursors (`syncCursor`,
    `changes.cursor`: the database's clock at the request, never planned) read as one."""
    return SIGNED_CURSOR.sub("<feed cursor>", json.dumps(body))


async def test_R1_R13_a_compiled_plan_answers_every_query_exactly_as_the_resolvers(
    engine, settings, make, backend
):
    async with client_with(engine, settings, requests_per_user=0) as client:
        askers = await realistic_world(make, client)
        for asker in askers.values():
            if asker.channel == "APP":
                await client.app_token(asker.user_id)
        devices = dict(client.devices)
    tables = await Tables.read(engine)
    pks = ids_by_type(tables)
    fuzzed = await asyncio.to_thread(fuzz_queries.pool, fuzz_queries.profile_size())
    queries = [substitute(q, pks) for q in (*planner_queries.pool(PLANNED), *fuzzed[:FUZZED])]
    if backend[0] == "sqlite":
        queries = queries[:ON_SQLITE]
    differences: list[str] = []
    before = extension.answered.copy()

    async with (
        client_with(engine, settings, requests_per_user=0, planner=False) as resolvers,
        client_with(engine, settings, requests_per_user=0, planner=True) as planned,
    ):
        resolvers.devices.update(devices)
        planned.devices.update(devices)
        for role, asker in askers.items():
            token = await resolvers.any_token(asker.user_id, Channel(asker.channel))
            for query in queries:
                expected = await resolvers.post(query, token=token)
                got = await planned.post(query, token=token)
                if _comparable(expected) != _comparable(got):
                    differences.append(f"{role}:\n{query}\nresolvers: {expected}\nplan:      {got}")
    compiled = extension.answered["plan"] - before["plan"]
    print(f"\nplanner on {backend[0]}: {compiled} of {len(queries) * len(askers)} queries answered by a plan")
    assert not differences, f"{len(differences)} differ; the first:\n" + "\n\n".join(differences[:3])
    if backend[0] == "postgresql":
        # much of the planner's own pool compiles (the rest: refused pages and cursors, missing ids)
        assert compiled > PLANNED * len(askers) // 3
    else:
        assert compiled == 0  # PostgreSQL only
