"""R27, R29: the project installed as production installs it serves subscriptions.

`pip install <a copy of the repository>` (no `-e`, no extras) into a fresh virtualenv, then
`salescoord migrate`, `demo` and `serve` from that virtualenv on 127.0.0.1: a real
graphql-transport-ws subscription receives a note written over HTTP. The dev extras pull in a
WebSocket library of their own, so only an install without them shows whether the server's
runtime is declared: without one, uvicorn answers every upgrade with HTTP 400.

pip's cache makes this about twenty seconds on a warm machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import ROOT
from tests.smtp import free_port

NOT_SHIPPED = (".git", ".venv", "var", "*.egg-info", "build", "node_modules", "__pycache__", ".*_cache")
LOGIN = """mutation { login(email: "am1@demo.salescoord.test", password: "salescoord-demo", client: WEB)
  { token user { id } } }"""
HOSTED = "query($host: ID!) { meetings(hostId: $host, first: 1) { nodes { id } } }"
SUBSCRIBE = """subscription($m: ID!) { meetingChanges(meetingId: $m) {
  kind typeName node { ... on Note { text } } } }"""
ADD_NOTE = """mutation($m: ID!) { createNote(meetingId: $m, text: "Before the meeting") { id } }"""


def _run(command: list[str], **options: object) -> None:
    done = subprocess.run(command, capture_output=True, text=True, **options)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{command[:3]} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding the project as `pip install .` installs it."""
    where = tmp_path_factory.mktemp("production")
    source = where / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SHIPPED))
    _run([sys.executable, "-m", "venv", str(where / "venv")])
    _run([str(where / "venv" / "bin" / "pip"), "install", "--quiet", str(source)], cwd=where)
    return where / "venv" / "bin"


@pytest.fixture(scope="module")
def server(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`salescoord serve` from the fresh virtualenv, over demo data in a new SQLite file."""
    tmp_path = tmp_path_factory.mktemp("served")
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'production.db'}",
        SALESCOORD_DATA_DIR=str(tmp_path),
        SALESCOORD_SECRET="production-install-secret-" + "x" * 30,
        LOG_LEVEL="warning",
    )
    salescoord = str(installed / "salescoord")
    _run([salescoord, "migrate"], env=env, cwd=tmp_path)
    _run([salescoord, "demo"], env=env, cwd=tmp_path)
    port = free_port()
    process = subprocess.Popen(
        [salescoord, "serve", "--no-migrate", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


async def _graphql(http: httpx.AsyncClient, query: str, variables: dict, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


async def _next_note(socket) -> dict:
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), timeout=15))
        assert message["type"] == "next", message
        change = message["payload"]["data"]["meetingChanges"]
        if change["typeName"] == "Note":
            return change


async def test_R27_R29_a_production_install_serves_a_graphql_transport_ws_subscription(server):
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=30) as http:
        signed_in = (await _graphql(http, LOGIN, {}))["login"]
        token = signed_in["token"]
        hosted = await _graphql(http, HOSTED, {"host": signed_in["user"]["id"]}, token)
        meeting = hosted["meetings"]["nodes"][0]["id"]
        async with connect(f"ws://{server}/graphql", subprotocols=["graphql-transport-ws"]) as socket:
            init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            await socket.send(json.dumps(init))
            assert json.loads(await socket.recv()) == {"type": "connection_ack"}
            subscribe = {"query": SUBSCRIBE, "variables": {"m": meeting}}
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
            await asyncio.sleep(0.5)  # the subscription has taken its place in the change log
            await _graphql(http, ADD_NOTE, {"m": meeting}, token)
            assert await _next_note(socket) == {
                "kind": "UPSERT",
                "typeName": "Note",
                "node": {"text": "Before the meeting"},
            }
            await socket.send(json.dumps({"id": "1", "type": "complete"}))
            await socket.send(json.dumps({"type": "ping"}))
            assert json.loads(await asyncio.wait_for(socket.recv(), timeout=15)) == {"type": "pong"}


async def test_R29_a_production_server_reads_no_frame_far_over_the_body_limit(server):
    """uvicorn as `salescoord serve` starts it stops reading a frame at twice MAX_BODY_BYTES
    (1009, message too big) instead of buffering up to its own default of 16 MiB."""
    async with connect(f"ws://{server}/graphql", subprotocols=["graphql-transport-ws"]) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": {"padding": "x" * 1024 * 1024}}))
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(socket.recv(), timeout=15)
        assert socket.close_code == 1009


async def test_R28_a_production_install_serves_graphiql_from_its_own_files(server):
    """GraphiQL's files are package data: `pip install .` alone serves the whole page."""
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=30) as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and '<script id="graphiql-tabs"' in page.text
        files = re.findall(r'(?:src|href)="(graphiql-assets/[^"]+)"', page.text)
        assert len(files) == 6
        for path in files:
            assert (await http.get(f"/{path}")).status_code == 200, path


def test_R27_a_production_install_takes_no_top_level_name_but_its_own(installed: Path):
    """`db` and `schema` are PyPI packages' names: the service installs its layers inside
    `salescoord`, and its migrations beside them."""
    site = next((installed.parent / "lib").glob("python3*/site-packages"))
    for name in ("db", "schema", "resolvers", "permissions"):
        assert not (site / name).exists(), name
        assert (site / "salescoord" / name / "__init__.py").is_file(), name
    assert list((site / "salescoord" / "db" / "migrations" / "versions").glob("0001_*.py"))


async def test_R32_a_production_install_serves_the_password_pages_from_its_own_files(server):
    """The pages' template and stylesheet are package data too: a link that opens nothing
    still gets its page, styled, from `pip install .` alone."""
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=30) as http:
        for path, title in (
            ("/set-password", "Choose your password"),
            ("/reset-password", "Reset your password"),
        ):
            page = await http.get(path, params={"token": "not.a.link"})
            assert page.status_code == 400 and f"<h1>{title}</h1>" in page.text, path
            assert "This link is not valid" in page.text
        assert (await http.get("/page-assets/pages.css")).status_code == 200
