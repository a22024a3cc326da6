"""R31 (extends R16): a device numbers its mutations; a replay is recognised whatever its age,
answered from the stored outcome or with ALREADY_APPLIED, and never runs twice; a number past
the next is OUT_OF_ORDER and writes nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa
from salescoord.db.tables import device_outcomes, devices, lists, mutation_outcomes
from salescoord.permissions.enums import Channel

from tests.apps import client_with
from tests.db_state import snapshot
from tests.helpers import codes

CREATE = """mutation($name: String!, $n: Int, $key: String) {
  createList(name: $name, kind: PERSONAL, mutationNumber: $n, clientMutationId: $key) { id name } }"""
APP = Channel.APP


async def list_count(engine) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(sa.select(sa.func.count()).select_from(lists))).scalar()


async def test_R31_numbers_run_in_order_and_a_replay_answers_the_stored_outcome(client, make, engine):
    am = await make.am()
    first = await client.data(CREATE, {"name": "One", "n": 1}, as_user=am, channel=APP)
    before = await snapshot(engine)
    assert await client.data(CREATE, {"name": "One", "n": 1}, as_user=am, channel=APP) == first
    other = await client.post(CREATE, {"name": "Other", "n": 1}, as_user=am, channel=APP)
    assert codes(other) == ["BAD_USER_INPUT"]
    assert other["errors"][0]["extensions"]["field"] == "mutationNumber"
    skipped = await client.post(CREATE, {"name": "Three", "n": 3}, as_user=am, channel=APP)
    assert codes(skipped) == ["OUT_OF_ORDER"]
    assert skipped["errors"][0]["extensions"]["expected"] == 2
    assert await snapshot(engine) == before  # neither wrote anything
    await client.data(CREATE, {"name": "Two", "n": 2}, as_user=am, channel=APP)
    assert await list_count(engine) == 2


async def test_R31_a_refused_mutation_takes_no_number(client, make, engine):
    am = await make.am()
    refused = await client.post(CREATE, {"name": "", "n": 1}, as_user=am, channel=APP)
    assert codes(refused) == ["BAD_USER_INPUT"]
    await client.data(CREATE, {"name": "Next", "n": 1}, as_user=am, channel=APP)
    assert await list_count(engine) == 1


async def test_R31_a_number_older_than_the_kept_outcomes_is_already_applied(engine, settings, make):
    am = await make.am()
    async with client_with(engine, settings, kept_outcomes_per_device=2) as client:
        for n in (1, 2, 3):
            await client.data(CREATE, {"name": f"L{n}", "n": n}, as_user=am, channel=APP)
        async with engine.connect() as connection:
            kept = (await connection.execute(sa.select(device_outcomes.c.mutation_number))).scalars()
            assert sorted(kept) == [2, 3]
        before = await snapshot(engine)
        body = await client.post(CREATE, {"name": "L1", "n": 1}, as_user=am, channel=APP)
        assert codes(body) == ["ALREADY_APPLIED"]
        assert body["errors"][0]["extensions"]["lastMutationNumber"] == 3
        assert await snapshot(engine) == before
        assert await list_count(engine) == 3


async def test_R31_a_replay_after_nine_days_of_a_day_one_mutation_is_recognised_not_run(client, make, engine):
    """Every stored time moved back nine days (the key store's retention is seven): the
    numbered replay is still answered from its outcome; a keyed one of the same age would not be."""
    am = await make.am()
    first = await client.data(CREATE, {"name": "Day one", "n": 1}, as_user=am, channel=APP)
    nine_days = timedelta(days=9)
    async with engine.begin() as connection:
        for table, column in (
            (device_outcomes, "created_at"),
            (devices, "created_at"),
            (devices, "last_seen_at"),
            (lists, "created_at"),
        ):
            for row in (await connection.execute(sa.select(table))).mappings().all():
                keys = [table.c[c.name] == row[c.name] for c in table.primary_key.columns]
                await connection.execute(
                    table.update().where(*keys).values({column: row[column] - nine_days})
                )
    before = await snapshot(engine)
    assert await client.data(CREATE, {"name": "Day one", "n": 1}, as_user=am, channel=APP) == first
    assert await snapshot(engine) == before
    assert await list_count(engine) == 1


async def test_R31_a_hundred_concurrent_replays_of_one_number_have_one_effect(client, make, engine):
    am = await make.am()
    await client.app_token(am)  # the device exists before the burst
    bodies = await asyncio.gather(
        *(client.post(CREATE, {"name": "Burst", "n": 1}, as_user=am, channel=APP) for _ in range(100))
    )
    answered = [body["data"]["createList"] for body in bodies if not body.get("errors")]
    assert answered and all(answer == answered[0] for answer in answered)
    assert {code for body in bodies for code in codes(body)} <= {"CONFLICT"}  # "send it again"
    assert await list_count(engine) == 1
    async with engine.connect() as connection:
        assert (await connection.execute(sa.select(devices.c.last_mutation_number))).scalar() == 1


async def test_R31_R16_web_tokens_keep_client_mutation_ids_and_cannot_number(client, make, engine):
    am = await make.am()
    body = await client.post(CREATE, {"name": "Web", "n": 1}, as_user=am)
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "mutationNumber"
    first = await client.data(CREATE, {"name": "Web", "key": "k1"}, as_user=am)
    assert await client.data(CREATE, {"name": "Web", "key": "k1"}, as_user=am) == first
    assert await list_count(engine) == 1
    async with engine.connect() as connection:
        assert (
            await connection.execute(sa.select(sa.func.count()).select_from(mutation_outcomes))
        ).scalar() == 1


async def test_R31_the_app_sends_a_number_or_a_key(client, make):
    am = await make.am()
    body = await client.post(CREATE, {"name": "Bare"}, as_user=am, channel=APP)
    assert codes(body) == ["BAD_USER_INPUT"]
    for bad in (0, -1):
        body = await client.post(CREATE, {"name": "Bad", "n": bad}, as_user=am, channel=APP)
        assert codes(body) == ["BAD_USER_INPUT"], bad
    await client.data(CREATE, {"name": "Keyed", "key": "app-key"}, as_user=am, channel=APP)
