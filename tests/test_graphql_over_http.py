"""GraphQL over HTTP (R22, R28): the checks of the reference audit (the `graphql-http`
package's server audits, ids as there) that apply to a POST-only server, through the app;
then what the audit leaves out: refusals as JSON with a code, one operation chosen as the
GraphQL spec chooses it, statuses of limits, and 406."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.apps import client_with
from tests.db_state import snapshot
from tests.helpers import codes

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
TYPENAME = {"query": "{ __typename }"}
BY_VARIABLE = {
    "query": "query Type($name: String!) { __type(name: $name) { name } }",
    "variables": {"name": "sometype"},
}
NOT_PARSED = {"query": "{"}
NOT_VALID = {"query": "{ 8f31403dfe404bccbb0e835f2629c6a7 }"}
NOT_COERCED = {"query": "query CoerceFailure($id: ID!) { __typename }", "variables": {"id": None}}
MALFORMED = '{ "not a JSON'
VIEWER = {"query": "{ viewer { id } }"}
ABSENT = object()  # no Accept header at all


WRONG_TYPES = {
    "query": [{"obj": "ect"}, 0, False, ["array"]],
    "operationName": [{"obj": "ect"}, 0, False, ["array"]],
    "variables": ["string", 0, False, ["array"]],
    "extensions": ["string", 0, False, ["array"]],
}
AUDIT_IDS = {"query": "LKJ", "operationName": "6C0", "variables": "476", "extensions": "58B"}
NAMED = {"query": "query Query { __typename }", "operationName": "Query"}

# (audit ids, Accept, body (a JSON value, or raw text), status, media type of a 2xx, then
# whether the body has errors and whether it has a `data` entry; None: not checked)
AUDIT = [
    ("22EB 34A2", GRAPHQL_RESPONSE, TYPENAME, 200, GRAPHQL_RESPONSE, False, True),
    ("4655 13EE 2C94 03D4", JSON, TYPENAME, 200, JSON, False, True),
    ("47DE", "*/*", TYPENAME, 200, JSON, False, True),
    ("80D8 78D5", ABSENT, TYPENAME, 200, JSON, False, True),
    ("B8B3", JSON, NAMED, 200, JSON, False, True),
    ("8161", GRAPHQL_RESPONSE, NAMED, 200, GRAPHQL_RESPONSE, False, True),
    *[
        (f"94B{n}-022{n}-{accept}", accept, {**TYPENAME, parameter: None}, 200, accept, False, True)
        for n, parameter in enumerate(["variables", "operationName", "extensions"])
        for accept in (JSON, GRAPHQL_RESPONSE)
    ],
    ("2EA1 28B9", JSON, BY_VARIABLE, 200, JSON, False, True),
    ("428F 1B7A", JSON, {**TYPENAME, "extensions": {"some": "value"}}, 200, JSON, False, True),
    ("423L 6610", GRAPHQL_RESPONSE, {"notquery": "{ __typename }"}, 400, None, True, False),
    ("8764 3E3A", ABSENT, {"qeury": "{ __typename }"}, 400, None, True, False),
    *[
        (f"{AUDIT_IDS[parameter]}{n}", ABSENT, {**TYPENAME, parameter: value}, 400, None, True, False)
        for parameter, values in WRONG_TYPES.items()
        for n, value in enumerate(values)
    ],
    ("B6DC BCF8", JSON, MALFORMED, 400, None, True, False),
    ("B7N8", GRAPHQL_RESPONSE, MALFORMED, 400, None, True, False),
    ("572B", JSON, NOT_PARSED, 200, JSON, True, None),
    ("FDE2", JSON, NOT_VALID, 200, JSON, True, None),
    ("7B9B", JSON, NOT_COERCED, 200, JSON, True, None),
    ("865D 556A D586", GRAPHQL_RESPONSE, NOT_PARSED, 400, None, True, False),
    ("51FE 74FF 5E5B", GRAPHQL_RESPONSE, NOT_VALID, 400, None, True, False),
    ("86EE", GRAPHQL_RESPONSE, NOT_COERCED, 400, None, True, False),
    ("field-error-keeps-2xx", GRAPHQL_RESPONSE, VIEWER, 200, GRAPHQL_RESPONSE, True, True),
]


async def post(client, body: Any, accept: Any = JSON, **headers: str):
    content = body if isinstance(body, str) else json.dumps(body)
    request = client.http.build_request(
        "POST", "/graphql", content=content, headers={"Content-Type": "application/json", **headers}
    )
    if accept is ABSENT:
        del request.headers["accept"]
    else:
        request.headers["accept"] = accept
    return await client.http.send(request)


@pytest.mark.parametrize(
    ("accept", "body", "status", "media_type", "errors", "data"),
    [pytest.param(*row[1:], id=f"R28-{row[0]}") for row in AUDIT],
)
async def test_R28_graphql_over_http_audit(client, accept, body, status, media_type, errors, data):
    response = await post(client, body, accept)
    assert response.status_code == status, response.text
    content_type = response.headers["content-type"]
    assert "charset=utf-8" in content_type  # 82A3
    if media_type is not None:
        assert content_type.startswith(media_type)
    answer = json.loads(response.content.decode("utf-8"))
    assert ("errors" in answer) is errors, answer
    if errors:
        assert all(error["extensions"]["code"] for error in answer["errors"])  # R22
    if data is not None:
        assert ("data" in answer) is data, answer


async def test_R28_a_post_without_content_type_or_body_is_4xx(client):
    no_type = await client.http.post("/graphql", content=json.dumps(TYPENAME))  # 9ABE
    assert 400 <= no_type.status_code < 500
    no_body = await client.http.post("/graphql", headers={"Content-Type": "application/json"})  # 7267 A5BF
    assert no_body.status_code == 400
    assert codes(no_body.json()) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(MALFORMED, None, id="R22-malformed-json"),
        pytest.param([TYPENAME, TYPENAME], None, id="R22-batch"),
        pytest.param({"variables": {}}, None, id="R22-no-query"),
        pytest.param(
            {"query": "query A { __typename }", "operationName": "B"},
            "operationName",
            id="R22-unknown-operation-name",
        ),
        pytest.param(
            {"query": "query A { __typename } query B { __typename }"},
            "operationName",
            id="R22-several-operations-none-named",
        ),
        pytest.param({"query": "fragment F on Query { __typename }"}, "query", id="R22-no-operation"),
    ],
)
async def test_R22_requests_that_cannot_run_answer_json_with_a_code(client, statements, accept, body, field):
    """GraphiQL read the old plain-text 400s as "Unexpected token … not valid JSON"."""
    statements["count"] = 0
    response = await post(client, body, accept)
    answer = response.json()
    assert codes(answer) == ["BAD_USER_INPUT"], answer
    assert answer["errors"][0]["extensions"].get("field") == field
    assert response.headers["content-type"].startswith(accept)
    assert "data" not in answer or (accept == JSON and answer["data"] is None)
    assert response.status_code in ((200, 400) if accept == JSON else (400,))
    assert statements["count"] == 0


MUTATION_FIRST = """
mutation Create { createList(name: "Ran unasked", kind: PERSONAL) { id } }
query Read { viewer { id } }
"""


async def test_R24_a_document_of_several_operations_with_none_named_runs_none(client, make, engine):
    """The GraphQL spec makes it an error; the first operation used to run, and since the
    bounds are measured for the named operation, it ran unmeasured."""
    am = await make.am()
    before = await snapshot(engine)
    body = await client.post(MUTATION_FIRST, as_user=am)
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert await snapshot(engine) == before


async def test_R22_rate_limited_is_429_with_retry_after_without_data_for_graphql_response_json(
    engine, settings, make, limiter_clock
):
    am = await make.am()
    async with client_with(engine, settings, requests_per_user=1) as client:
        token = {"Authorization": f"Bearer {client.token(am)}"}
        assert (await post(client, VIEWER, GRAPHQL_RESPONSE, **token)).status_code == 200
        limited = await post(client, VIEWER, GRAPHQL_RESPONSE, **token)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert codes(limited.json()) == ["RATE_LIMITED"] and "data" not in limited.json()
        legacy = await post(client, VIEWER, JSON, **token)
        assert legacy.status_code == 200 and codes(legacy.json()) == ["RATE_LIMITED"]


async def test_R24_a_query_over_a_bound_is_400_without_data_for_graphql_response_json(client):
    response = await post(client, {"query": "query { viewer { " + "name " * 800 + "} }"}, GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert codes(response.json()) == ["QUERY_TOO_COMPLEX"] and "data" not in response.json()


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (f"{GRAPHQL_RESPONSE}, {JSON};q=0.9", GRAPHQL_RESPONSE),
        (f"{JSON}, {GRAPHQL_RESPONSE};q=0.5", JSON),
        (f"text/html, {JSON}", JSON),
        ("application/*", JSON),
        ("text/html", None),
        (f"{GRAPHQL_RESPONSE};q=0, text/html", None),
    ],
)
async def test_R28_the_response_has_the_media_type_the_client_prefers_else_406(client, accept, chosen):
    response = await post(client, TYPENAME, accept)
    if chosen is None:
        assert response.status_code == 406
        assert codes(response.json()) == ["BAD_USER_INPUT"]
    else:
        assert response.status_code == 200
        assert response.headers["content-type"] == f"{chosen}; charset=utf-8"
