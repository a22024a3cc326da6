"""The device's local store: every object by its global id, as the service last described
it, with the feed's cursor. A note names its meeting, an item its list; a meeting holds the
ids of the buyers attending it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NESTED = ("attendees", "notes", "lists", "items", "pageInfo")


def _fields(node: dict[str, Any]) -> dict[str, Any]:
    """The object's own fields: nested connections and links are the store's to keep."""
    return {k: v for k, v in node.items() if k not in NESTED and k not in ("meeting", "list")}


@dataclass
class Store:
    cursor: str | None = None
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)

    # -- writing -------------------------------------------------------------------------------
    def put(self, type_name: str, node: dict[str, Any], **links: Any) -> None:
        kept = self.objects.get(node["id"], {})
        self.objects[node["id"]] = {**kept, **_fields(node), "__typename": type_name, **links}

    def put_meeting(self, node: dict[str, Any]) -> None:
        kept = self.objects.get(node["id"], {}).get("attendees", frozenset())
        self.put("Meeting", node, attendees=kept)

    def attend(self, meeting: str, buyer: str, attending: bool) -> None:
        if meeting in self.objects:
            now = set(self.objects[meeting]["attendees"])
            now.add(buyer) if attending else now.discard(buyer)
            self.objects[meeting]["attendees"] = frozenset(now)

    def drop(self, id: str) -> None:
        """An object gone or out of sight, with what hangs on it (a meeting's notes, a list's items)."""
        gone = self.objects.pop(id, None)
        if gone is None:
            return
        link = {"Meeting": "meeting", "List": "list"}.get(gone["__typename"])
        if link:
            for child in [k for k, v in self.objects.items() if v.get(link) == id]:
                self.objects.pop(child)

    # -- reading -------------------------------------------------------------------------------
    def of_type(self, type_name: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.objects.items() if v["__typename"] == type_name}

    def by_client_id(self, client_id: str) -> str | None:
        for key, value in self.objects.items():
            if value.get("clientId") == client_id:
                return key
        return None
