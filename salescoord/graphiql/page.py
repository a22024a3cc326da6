"""The GraphiQL page this service serves on GET /graphql (R28).

Its own small template rather than Strawberry's: it opens on the README's tour (`tour.TABS`),
has a sign-in panel that fills the Authorization header, and sends the Headers pane to the
WebSocket so subscriptions sign in. GraphiQL's files ship inside the package (`assets/`), so
the page needs no npm, no CDN and no network: `make run` and `pip install .` are Python only.

    page_html()  # the page, tabs included; its scripts load from /graphiql-assets/
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from salescoord.graphiql.tour import TABS

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "assets"
TEMPLATE = HERE / "page.html"


@functools.cache
def page_html() -> str:
    tabs = json.dumps([tab.as_graphiql() for tab in TABS])
    # inside <script>, a "</script>" in a tab's text would end the element
    return TEMPLATE.read_text(encoding="utf-8").replace("{{ tabs }}", tabs.replace("<", "\\u003c"))
