"""The iPad: sign-in with a device, refresh, the mutation queue, the snapshot, the change feed
and live notes, each as docs/sync-protocol.md tells an app to do it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from gql import Client
from gql.transport.exceptions import TransportError, TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from ipad_client.documents import request
from ipad_client.queue import Pending, Queue, new_client_id
from ipad_client.store import Store
from ipad_client.transport import AnswerLost, LossyTransport, Network

SNAPSHOT_DAYS = 14
CAUGHT_UP_WAIT = 0.05  # seconds before asking again when `caughtUp` is false


class Refused(Exception):
    """An answer with errors: `code` is the first error's `extensions.code`."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        self.extensions = (errors[0].get("extensions") or {}) if errors else {}
        self.code = self.extensions.get("code", "INTERNAL")
        super().__init__(f"{self.code}: {errors[0].get('message') if errors else ''}")


class SignedOut(Exception):
    """The device's refresh token was refused (revoked device, expired token): sign in again."""


class IPad:
    """One device of one user. `network` decides what reaches the server (tests lose answers
    and go offline through it); `window` is the snapshot's meeting window (default: today and
    the next 14 days); `pages` overrides the snapshot's page sizes per operation."""

    def __init__(
        self,
        url: str,
        *,
        network: Network | None = None,
        window: tuple[datetime, datetime] | None = None,
        pages: dict[str, dict[str, int]] | None = None,
    ) -> None:
        self.url = url
        self.network = network or Network()
        self.client = Client(transport=LossyTransport(url, self.network, timeout=30))
        self.session: Any = None
        self.store = Store()
        self.queue = Queue()
        self.window = window
        self.pages = pages or {}
        self.token: str | None = None
        self.refresh_token: str | None = None
        self.expires_at: str | None = None
        self.device_id: str | None = None
        self.user_id: str | None = None
        self.last_number = 0  # of the device's last applied mutation (R31)
        self.refreshes = 0
        self.resyncs = 0

    async def __aenter__(self) -> IPad:
        self.session = await self.client.connect_async()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.client.close_async()

    # -- requests ------------------------------------------------------------------------------
    async def _send(self, name: str, variables: dict[str, Any] | None = None, auth: bool = True) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"} if auth and self.token else {}
        try:
            return await self.session.execute(request(name, variables), extra_args={"headers": headers})
        except TransportQueryError as error:
            raise Refused(error.errors or [{"message": str(error)}]) from None

    async def call(self, name: str, variables: dict[str, Any] | None = None) -> dict:
        """A query (or a mutation that is safe to send again): a lost answer is asked again, an
        expired access token refreshed, RATE_LIMITED waited out."""
        while True:
            try:
                return await self._send(name, variables)
            except AnswerLost:
                continue
            except Refused as refused:
                if not await self._recover(refused):
                    raise

    async def _recover(self, refused: Refused) -> bool:
        """True when the request is to be sent again as it was."""
        if refused.code == "UNAUTHENTICATED" and self.refresh_token:
            await self.refresh()
            return True
        if refused.code == "RATE_LIMITED":
            await asyncio.sleep(float(refused.extensions.get("retryAfter", 1)))
            return True
        return False

    # -- signing in (R30) ----------------------------------------------------------------------
    async def sign_in(self, email: str, password: str, device_name: str = "iPad") -> None:
        """Register this device (or, once it has one, sign it in again with its id)."""
        variables = {"email": email, "password": password, "device": {"name": device_name}}
        if self.device_id:
            variables["deviceId"] = self.device_id
        while True:
            try:
                login = (await self._send("SignIn", variables, auth=False))["login"]
                break
            except AnswerLost:
                continue
        self._take(login)
        self.device_id = login["device"]["id"]
        self.user_id = login["user"]["id"]
        self.last_number = login["device"]["lastMutationNumber"]

    async def refresh(self) -> None:
        """Trade the refresh token for the next pair. A lost answer is retried with the same
        refresh token, which the service accepts while the pair it was traded for is unused."""
        if not self.refresh_token:
            raise SignedOut("no refresh token")
        while True:
            try:
                pair = await self._send("Refresh", {"refreshToken": self.refresh_token}, auth=False)
                break
            except AnswerLost:
                continue
            except Refused as refused:
                if refused.code == "UNAUTHENTICATED":
                    self.token = self.refresh_token = None
                    raise SignedOut("the refresh token was refused") from None
                raise
        self._take(pair["refreshSession"])
        self.refreshes += 1

    def _take(self, pair: dict[str, Any]) -> None:
        self.token, self.refresh_token, self.expires_at = (
            pair["token"],
            pair["refreshToken"],
            pair["expiresAt"],
        )

    async def sign_out(self) -> None:
        await self.call("SignOut")
        self.token = self.refresh_token = None

    # -- the queue (R16, R31) ------------------------------------------------------------------
    def queue_list(self, name: str) -> str:
        """A PERSONAL list, made offline: its client id names it from now on."""
        client_id = new_client_id()
        self.queue.add("CreateList", {"name": name, "kind": "PERSONAL", "clientId": client_id}, client_id)
        return client_id

    def queue_item(self, list_id: str, content_id: str, note: str | None = None) -> str:
        """An item for a list named by global id or by a queued list's client id."""
        client_id = new_client_id()
        variables = {"listId": list_id, "contentId": content_id, "note": note, "clientId": client_id}
        self.queue.add("AddListItem", variables, client_id)
        return client_id

    def queue_note(self, meeting_id: str, text: str) -> str:
        client_id = new_client_id()
        self.queue.add(
            "CreateNote", {"meetingId": meeting_id, "text": text, "clientId": client_id}, client_id
        )
        return client_id

    def queue_mutation(self, operation: str, variables: dict[str, Any]) -> Pending:
        return self.queue.add(operation, variables)

    async def send_queue(self) -> None:
        """Send the pending mutations in order, each with its number, until the queue is empty
        (or the network goes: the rest waits, numbers kept). docs/sync-protocol.md, section 2."""
        while self.queue.pending:
            item = self.queue.pending[0]
            if item.number is None:
                item.number = self.last_number + 1
            item.sent += 1
            try:
                data = await self._send(item.operation, {**item.variables, "number": item.number})
            except AnswerLost:
                continue  # the same mutation with the same number
            except Refused as refused:
                await self._refused(item, refused)
                continue
            self.last_number = item.number
            self._answered(item, "APPLIED", data)

    async def _refused(self, item: Pending, refused: Refused) -> None:
        code = refused.code
        if await self._recover(refused):
            return
        if code == "CONFLICT" and refused.extensions.get("field") == "mutationNumber":
            return  # a copy of it was still being decided: send it again
        if code == "OUT_OF_ORDER":  # the count disagrees: the service says which is next
            item.number = int(refused.extensions["expected"])
            self.last_number = item.number - 1
            return
        if code == "ALREADY_APPLIED":  # applied long ago: the feed brings its effect
            self.last_number = max(self.last_number, item.number or 0)
            self._answered(item, code, None)
            return
        item.number = None  # a refusal writes nothing and takes no number
        self._answered(item, code, {"errors": refused.errors})

    def _answered(self, item: Pending, outcome: str, answer: dict | None) -> None:
        self.queue.pending.popleft()
        item.outcome, item.answer = outcome, answer
        self.queue.done.append(item)

    # -- the snapshot and the feed (R18) -------------------------------------------------------
    def _window(self) -> tuple[datetime, datetime]:
        if self.window:
            return self.window
        start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return start, start + timedelta(days=SNAPSHOT_DAYS)

    async def _page(self, name: str, **variables: Any) -> dict:
        return await self.call(name, {**self.pages.get(name, {}), **variables})

    async def snapshot(self) -> Store:
        """Fill an empty store: the cursor first, then every page of every connection."""
        store = Store(cursor=(await self._page("SyncCursor"))["syncCursor"])
        start, end = self._window()
        after = None
        while True:
            page = (
                await self._page(
                    "SnapshotMeetings", **{"from": start.isoformat(), "to": end.isoformat()}, after=after
                )
            )["meetings"]
            for meeting in page["nodes"]:
                await self._meeting(store, meeting)
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        after = None
        while True:
            page = (await self._page("SnapshotLists", after=after))["lists"]
            for lst in page["nodes"]:
                await self._list(store, lst)
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        after = None
        while True:
            page = (await self._page("SnapshotCatalogue", after=after))["contents"]
            for content in page["nodes"]:
                store.put("Content", content)
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        self.store = store
        return store

    async def _connection(
        self, connection: dict, operation: str, key: str, field: str, id: str
    ) -> AsyncIterator[dict]:
        while True:
            for node in connection["nodes"]:
                yield node
            if not connection["pageInfo"]["hasNextPage"]:
                return
            answer = await self._page(operation, **{key: id}, after=connection["pageInfo"]["endCursor"])
            connection = answer["node"][field]

    async def _meeting(self, store: Store, meeting: dict) -> None:
        id = meeting["id"]
        store.put_meeting(meeting)
        buyers = [
            p["id"]
            async for p in self._connection(
                meeting["attendees"], "SnapshotMeetingAttendees", "meeting", "attendees", id
            )
        ]
        store.objects[id]["attendees"] = frozenset(buyers)
        async for note in self._connection(meeting["notes"], "SnapshotMeetingNotes", "meeting", "notes", id):
            store.put("Note", note, meeting=id)
        async for lst in self._connection(meeting["lists"], "SnapshotMeetingLists", "meeting", "lists", id):
            await self._list(store, lst)

    async def _list(self, store: Store, lst: dict) -> None:
        store.put("List", lst)
        async for item in self._connection(lst["items"], "SnapshotListItems", "list", "items", lst["id"]):
            store.put("ListItem", item, list=lst["id"])

    async def pull(self) -> None:
        """Follow the feed from the store's cursor to its head; RESYNC_REQUIRED: the snapshot."""
        if self.store.cursor is None:
            await self.snapshot()
        while True:
            try:
                page = (await self.call("Changes", {"since": self.store.cursor}))["changes"]
            except Refused as refused:
                if refused.code != "RESYNC_REQUIRED":
                    raise
                self.resyncs += 1
                await self.snapshot()
                continue
            for entry in page["entries"]:
                await self._apply(entry)
            self.store.cursor = page["cursor"]
            if page["hasMore"]:
                continue
            if not page["caughtUp"]:
                await asyncio.sleep(CAUGHT_UP_WAIT)
                continue
            return

    async def _apply(self, entry: dict) -> None:
        store, kind, type_name, id, node = (
            self.store,
            entry["kind"],
            entry["typeName"],
            entry["id"],
            entry["node"],
        )
        if type_name == "Attendee":
            store.attend(entry["meetingId"], id, kind == "UPSERT")
            return
        if kind != "UPSERT":  # DELETED and REMOVED_FROM_VIEW alike leave the device
            store.drop(id)
            return
        if node is None:
            return
        if type_name == "Meeting":
            if id in store.objects:
                store.put_meeting(node)
            else:  # new to the device: read it whole
                whole = (await self.call("MeetingWhole", {"id": id}))["node"]
                if whole:
                    await self._meeting(store, whole)
        elif type_name == "List":
            if id in store.objects:
                store.put("List", node)
            else:
                whole = (await self.call("ListWhole", {"id": id}))["node"]
                if whole:
                    await self._list(store, whole)
        elif type_name == "Note":
            store.put("Note", node, meeting=node["meeting"]["id"])
        elif type_name == "ListItem":
            store.put("ListItem", node, list=node["list"]["id"])
        elif type_name == "Content":
            content = {k: v for k, v in node.items() if k != "contentKind"}
            store.put("Content", {**content, "kind": node["contentKind"]})

    async def sync(self) -> None:
        """Coming online: send the queue, then follow the feed."""
        await self.send_queue()
        await self.pull()

    # -- live notes over graphql-transport-ws (R19) --------------------------------------------
    @asynccontextmanager
    async def live_notes(self, meeting_id: str) -> AsyncIterator[LiveNotes]:
        """A subscription to a meeting's changes: `notes` fills as notes arrive; `ended` is set
        when the service ends it (the meeting left the viewer's sight) or closes the socket."""
        socket_url = self.url.replace("http://", "ws://", 1)
        transport = WebsocketsTransport(
            url=socket_url,
            init_payload={"authorization": f"Bearer {self.token}"},
            subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
            keep_alive_timeout=None,
        )
        live = LiveNotes(transport)
        async with Client(transport=transport) as session:
            live.socket = transport.adapter.websocket  # the adapter lets go of it once closed
            live.task = asyncio.create_task(live.follow(session, meeting_id))
            await asyncio.sleep(0)
            try:
                yield live
            finally:
                live.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, TransportError, ConnectionError):
                    await live.task


class LiveNotes:
    def __init__(self, transport: WebsocketsTransport) -> None:
        self.transport = transport
        self.notes: list[dict] = []
        self.events: list[dict] = []
        self.ended = asyncio.Event()
        self.error: BaseException | None = None
        self.arrived = asyncio.Condition()
        self.task: asyncio.Task | None = None
        self.socket: Any = None

    async def follow(self, session: Any, meeting_id: str) -> None:
        try:
            async for event in session.subscribe(request("LiveNotes", {"meetingId": meeting_id})):
                change = event["meetingChanges"]
                self.events.append(change)
                if change["typeName"] == "Note" and change["kind"] == "UPSERT":
                    self.notes.append(change["node"])
                async with self.arrived:
                    self.arrived.notify_all()
        except (TransportError, ConnectionError) as error:
            self.error = error
        finally:
            self.ended.set()
            async with self.arrived:
                self.arrived.notify_all()

    async def wait_for(self, text: str, timeout: float = 10) -> dict:
        async def seen() -> dict:
            async with self.arrived:
                while True:
                    for note in self.notes:
                        if note["text"] == text:
                            return note
                    if self.ended.is_set():
                        raise AssertionError(f"the subscription ended before {text!r}: {self.error}")
                    await self.arrived.wait()

        return await asyncio.wait_for(seen(), timeout)

    @property
    def close_code(self) -> int | None:
        """The code the service closed the socket with (4401: token expired or device revoked)."""
        return getattr(self.socket, "close_code", None)
