"""The benchmark's baseline (make bench): SALESCOORD_NAIVE=1 is the same service with its
loaders' batching and caching off, answering the same data with one statement per key."""

from __future__ import annotations

import httpx
from sqlalchemy import event

from salescoord.app import attach_engine, create_app
from salescoord.settings import Settings
from tests.test_statement_counts import BUYER_PAGE, world_of


async def test_naive_mode_answers_the_same_with_a_statement_per_key(client, engine, make, settings):
    sc = await world_of(make, 10)
    token = client.token(sc)
    batched = await client.post(BUYER_PAGE, token=token)
    naive_app = create_app(Settings(database_url="unused", secret_keys=settings.secret_keys, naive=True))
    attach_engine(naive_app, engine)
    counter = {"n": 0}

    def count(*_: object) -> None:
        counter["n"] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=naive_app), base_url="http://127.0.0.1"
        ) as http:
            response = await http.post(
                "/graphql", json={"query": BUYER_PAGE}, headers={"Authorization": f"Bearer {token}"}
            )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert response.json() == batched
    assert counter["n"] > 30  # 10 buyers: a company, a territory and a page of buyers each
