"""`Admission`: who is asking, and whether they may ask again so soon; run once the query
has passed validation and its limits, just before it executes.

Loading the viewer here rather than when the request arrives means a query refused by
a limit costs no SQL (R24). A signed-in caller then spends one hit of their per-user
budget (`salescoord.request_budget`); past it: RATE_LIMITED.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension


class Admission(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        identify = getattr(context, "identify", None)
        if identify is not None:
            await identify()
            budget = getattr(context, "budget", None)
            if context.viewer is not None and budget is not None:
                await budget.spend(context, str(context.viewer.id))
        yield
