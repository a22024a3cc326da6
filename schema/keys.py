"""The client-generated key every mutation the app sends carries (R16)."""

from __future__ import annotations

from typing import Annotated

import strawberry

Key = Annotated[
    str | None,
    strawberry.argument(
        description="A client-generated id: replays have one effect and the same answer (R16). "
        "Required with an app token."
    ),
]
