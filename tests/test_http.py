"""HTTP hardening (OWASP GraphQL cheat sheet): no query from a "simple" content type (CSRF),
no query or mutation over GET, bodies bounded (413), batches refused, CORS only for the
allow-listed origins. GraphiQL keeps request headers (tokens) out of the URL:
tests/test_graphiql.py."""

from __future__ import annotations

import pytest

from tests.apps import client_with
from tests.db_state import snapshot

CREATE_LIST = 'mutation { createList(name: "Via CSRF", kind: PERSONAL) { id } }'


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param("application/x-www-form-urlencoded", f"query={CREATE_LIST}", id="form"),
        pytest.param(
            "text/plain", f'{{"query": "{CREATE_LIST.replace(chr(34), chr(39))}"}}', id="text-plain"
        ),
        pytest.param(
            "multipart/form-data; boundary=x",
            f'--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{CREATE_LIST}\r\n--x--\r\n',
            id="multipart",
        ),
    ],
)
async def test_csrf_simple_content_types_run_nothing(client, make, engine, statements, content_type, body):
    am = await make.am()
    before = await snapshot(engine)
    statements["count"] = 0
    response = await client.http.post(
        "/graphql",
        content=body,
        headers={"Content-Type": content_type, "Authorization": f"Bearer {client.token(am)}"},
    )
    assert response.status_code == 415
    assert statements["count"] == 0
    assert await snapshot(engine) == before


@pytest.mark.parametrize(
    "query",
    [
        'mutation { login(email: "a@b.test", password: "x", client: WEB) { token } }',
        "query { viewer { id } }",
    ],
    ids=["R28-mutation-over-get", "R28-query-over-get"],
)
async def test_R28_no_operation_runs_over_get(client, make, statements, query):
    am = await make.am()
    statements["count"] = 0
    response = await client.http.get(
        "/graphql", params={"query": query}, headers={"Authorization": f"Bearer {client.token(am)}"}
    )
    assert response.status_code in (400, 405), response.text
    assert "data" not in response.text or '"data":null' in response.text.replace(" ", "")
    assert statements["count"] == 0


async def test_a_body_over_the_limit_is_413_announced_or_streamed(engine, settings, statements):
    async with client_with(engine, settings, max_body_bytes=1000) as client:
        padding = " " * 2000
        announced = await client.http.post("/graphql", json={"query": "{ viewer { id } }" + padding})
        assert announced.status_code == 413

        async def chunks():
            yield b'{"query": "{ viewer { id } }'
            yield b" " * 2000
            yield b'"}'

        streamed = await client.http.post(
            "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert streamed.status_code == 413
        small = await client.http.post("/graphql", json={"query": "{ viewer { id } }"})
        assert small.status_code == 200
    assert statements["count"] == 0  # the small one is anonymous: refused before SQL (R4)


async def test_batched_requests_are_refused(client, make, statements):
    am = await make.am()
    statements["count"] = 0
    response = await client.http.post(
        "/graphql",
        json=[{"query": "{ viewer { id } }"}] * 50,
        headers={"Authorization": f"Bearer {client.token(am)}"},
    )
    assert response.status_code == 400
    assert statements["count"] == 0


async def test_cors_answers_only_allow_listed_origins(engine, settings):
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    async with client_with(engine, settings, cors_origins=("https://cms.example.test",)) as client:
        allowed = await client.http.options(
            "/graphql", headers={"Origin": "https://cms.example.test", **preflight}
        )
        assert allowed.headers.get("access-control-allow-origin") == "https://cms.example.test"
        other = await client.http.options(
            "/graphql", headers={"Origin": "https://evil.example.test", **preflight}
        )
        assert other.headers.get("access-control-allow-origin") is None
    async with client_with(engine, settings) as client:  # the default: no cross-origin caller at all
        none = await client.http.options(
            "/graphql", headers={"Origin": "https://cms.example.test", **preflight}
        )
        assert none.headers.get("access-control-allow-origin") is None
