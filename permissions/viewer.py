"""Who is asking: the signed-in user as loaded at the start of each request (R14)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from salescoord.permissions.enums import Channel, Permission, RoleName


@dataclass(frozen=True, slots=True)
class Viewer:
    id: int
    email: str
    name: str
    role: RoleName  # the kind of the viewer's role: it decides the scope (R34)
    permissions: frozenset[Permission]
    channel: Channel = Channel.WEB
    device_id: int | None = None  # the app's device the request comes from (R30)
    # the user's row as read at the start of the request (None once the request wrote)
    row: Any = field(default=None, compare=False, repr=False)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def is_admin(self) -> bool:
        return self.role is RoleName.ADMIN
