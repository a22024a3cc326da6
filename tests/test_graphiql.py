"""R28: the GraphiQL page on GET /graphql opens on the README's tour, every tab runs, and
GraphiQL's files come from this server, byte for byte what the page's integrity hashes pin.
The page in a real browser (sign-in, a query, a subscription): tests/test_graphiql_browser.py."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from graphql import OperationDefinitionNode, OperationType, parse, print_ast, validate
from salescoord.schema.root import schema

from tests.apps import client_with
from tests.conftest import ROOT

README = ROOT / "README.md"
PAGE_HEADERS = {"Accept": "text/html"}
TABS = re.compile(r'<script id="graphiql-tabs" type="application/json">(.*?)</script>', re.S)
PINNED = re.compile(r'(?:src|href)="([^"]+)"\s+integrity="(sha384-[^"]+)"')


async def _page(client) -> str:
    page = await client.http.get("/graphql", headers=PAGE_HEADERS)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    return page.text


def _operations(document: str) -> dict[str, str]:
    """name -> the operation printed without comments or layout."""
    return {
        definition.name.value: print_ast(definition)
        for definition in parse(document).definitions
        if isinstance(definition, OperationDefinitionNode) and definition.name
    }


def _readme_tour() -> dict[str, str]:
    found: dict[str, str] = {}
    for block in re.findall(r"```graphql\n(.*?)```", README.read_text(), re.S):
        found.update(_operations(block))
    return found


async def test_R28_graphiql_opens_on_the_readme_tour_not_the_welcome_text(client):
    page = await _page(client)
    assert "Welcome to GraphiQL" not in page
    tabs = json.loads(TABS.search(page).group(1))
    in_tabs: dict[str, str] = {}
    for tab in tabs:
        in_tabs.update(_operations(tab["query"]))
    assert list(in_tabs)[:2] == ["ScDashboard", "AmHome"]
    assert in_tabs == _readme_tour()  # every named operation of the tour, the same once printed


async def test_R28_every_tab_is_valid_and_its_queries_run_for_an_admin(client, make):
    page = await _page(client)
    admin = await make.admin()
    for tab in json.loads(TABS.search(page).group(1)):
        document = parse(tab["query"])
        assert validate(schema._schema, document) == [], tab["query"]
        variables = json.loads(tab["variables"] or "{}")
        for definition in document.definitions:
            if definition.operation == OperationType.SUBSCRIPTION:
                continue  # over the WebSocket: the browser test runs it
            name = definition.name.value
            used = {v.variable.name.value for v in definition.variable_definitions or ()}
            answer = await client.http.post(
                "/graphql",
                json={
                    "query": tab["query"],
                    "operationName": name,
                    "variables": {key: value for key, value in variables.items() if key in used},
                },
                headers={"Authorization": f"Bearer {client.token(admin)}"},
            )
            body = answer.json()
            assert not body.get("errors"), (name, body["errors"])


async def test_R28_graphiql_files_come_from_this_server_as_their_integrity_hashes_pin(client):
    page = await _page(client)
    pinned = PINNED.findall(page)
    names = {Path(path).name for path, _ in pinned}
    assert {"react.production.min.js", "react-dom.production.min.js", "graphiql.min.js"} <= names
    assert {"graphiql.min.css", "index.umd.js", "style.css"} <= names
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page)  # no CDN, no other origin
    for path, integrity in pinned:
        served = await client.http.get(f"/{path}")  # relative to /graphql
        assert served.status_code == 200, path
        digest = base64.b64encode(hashlib.sha384(served.content).digest()).decode()
        assert integrity == f"sha384-{digest}", path


async def test_graphiql_writes_nothing_into_the_page_url(client):
    """Strawberry advisory: its GraphiQL once mirrored the Headers pane (a bearer token) into the
    URL. This page reads and writes no URL parameter at all; the browser test checks the URL
    after signing in."""
    page = await _page(client)
    script = page[page.index('"use strict";') :]
    assert "history." not in script and "location.search" not in script and "location.hash" not in script


async def test_R28_without_graphiql_neither_the_page_nor_its_files_are_served(engine, settings):
    async with client_with(engine, settings, graphiql=False) as client:
        page = await client.http.get("/graphql", headers=PAGE_HEADERS)
        assert page.status_code != 200 and "graphiql" not in page.text.lower()
        served = await client.http.get("/graphiql-assets/graphiql-3.8.3/graphiql.min.js")
        assert served.status_code == 404
