"""The tabs GraphiQL opens on: the README's tour, one operation (or a pair) per tab.

An analyst's first page shows what the service answers rather than GraphiQL's stock welcome
text. The README's tour shows the same operations (tests/test_graphiql.py keeps the two equal
and every tab running), and their names are metrics labels (`salescoord.operation_labels`).
The ids in the variables are the demo data set's (`salescoord demo`): `User:2` is am1,
`Meeting:2` a scheduled meeting am1 hosts.

    Tab(SC_DASHBOARD).as_graphiql()  # {"query": "...", "variables": None}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Tab:
    query: str
    variables: dict[str, Any] | None = None

    def as_graphiql(self) -> dict[str, str | None]:
        """A tab as GraphiQL's `defaultTabs` takes it: the editors' texts."""
        variables = json.dumps(self.variables, indent=2) if self.variables else None
        return {"query": self.query, "variables": variables}


SC_DASHBOARD = """\
# The README's tour, a tab each. Sign in first: the key button
# (or the Sign in panel) puts your token in the Headers pane.
#
# As an SC (sc1@demo.salescoord.test): your AMs, their buyers
# (direct and by territory), where each sits.
query ScDashboard {
  viewer {
    name
    accountManagers(first: 10) {
      nodes {
        name
        territories { nodes { name } }
        associatedBuyers(first: 10) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes { name email company { name territory { name parent { name } } } }
        }
      }
    }
  }
}
"""

AM_HOME = """\
# As an AM (am1@demo.salescoord.test): your buyers and your
# lists; `after:` takes the `endCursor` of the page before.
query AmHome {
  viewer {
    associatedBuyers(first: 20) { totalCount nodes { id name directAccountManager { name } } }
    lists { nodes { name kind items(first: 5) { nodes { position note content { title kind reference } } } } }
  }
}
"""

TERRITORIES = """\
# As an analyst (admin@demo.salescoord.test): the territory
# tree, companies and buyers, a search, and any object by id
# (the play button asks which of the two to run).
query Territories {
  territories(rootsOnly: true) {
    nodes {
      name
      children { nodes { name companies { totalCount nodes { name buyers(first: 3) { nodes { name } } } } } }
    }
  }
  users(role: SALES_COORDINATOR, search: "sc") { nodes { id name email accountManagers { nodes { name } } } }
}

query One($id: ID!) { node(id: $id) { id ... on User { name role company { name } } } }
"""

WHY_VISIBLE = """\
# Why you see it (R35), as sc1: each buyer with the branch of
# your scope that shows it (DIRECT_AM, or TERRITORY with the path
# from the AM's own territory down); a meeting of your AM; a list.
# As admin, people and meetings show ROLE_PERMISSION.
query WhyVisible {
  users(role: BUYER, first: 10) {
    nodes { name visibility { reasons { basis accountManager { name } territoryPath { name } } } }
  }
  meetings(first: 5) { nodes { title visibility { reasons { basis accountManager { name } } } } }
  lists(first: 5) { nodes { name kind visibility { reasons { basis meeting { title } } } } }
}
"""

QUARTER = """\
# Reporting (R12): as sc1 yours, your AMs' and their buyers';
# as am1 yours and your buyers'; as admin everyone's
# (VIEW_REPORTING_ALL_USERS), or with `audience: MINE` only
# your role's own scope (R36). A quarter by account manager;
# GET /reports/byAccountManager.csv?start=…&end=… downloads it.
query Quarter {
  reporting(start: "2026-07-01T00:00:00Z", end: "2026-10-01T00:00:00Z") {
    audience
    totals { signIns meetingsHeld notesWritten itemsAdded summariesSent registrationsDecided total }
    byAccountManager(first: 10) {
      nodes { label counts { meetingsHeld notesWritten total } accountManager { email } }
    }
    topBuyers(first: 5) { nodes { label meetings buyer { company { name } } } }
  }
}
"""

YEAR = """\
# The whole year by month and by territory, and the most active
# people a page at a time (`after:` takes `pageInfo.endCursor`).
query Year($after: String) {
  reporting(start: "2026-01-01T00:00:00Z", end: "2027-01-01T00:00:00Z") {
    byPeriod(unit: MONTH, first: 12) { nodes { start counts { total } } }
    byTerritory(first: 30) { nodes { label counts { total } territory { parent { name } } } }
    byCompany(first: 5) { totalCount nodes { label counts { itemsAdded total } } }
    activity(first: 20, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { label counts { signIns total } user { role } }
    }
  }
}
"""

QUEUE = """\
# The approval queue (R6), oldest first: as sc1, registrations
# linked to your AMs or inside their territories; as admin, all.
query Queue { registrations(status: PENDING) { nodes { id name email companyName
  requestedAccountManager { name } territory { name } } } }
"""

OUTBOX = """\
# Every outgoing email (R20), as admin. With no SMTP configured
# they stay PENDING here.
query Outbox { outbox(status: PENDING) { nodes { toAddress subject bodyText attempts lastError } } }
"""

AUDIT = """\
# The audit trail (R25), newest first, as admin.
query Audit { auditEvents(objectType: "Registration", first: 10) { nodes { action at actor { name }
  onBehalfOf { name } diff } } }
"""

LIVE_MEETING = """\
# A meeting live (R19), as am1 (its host) or sc1: a note written
# to it, on the web or in the app, arrives here as it commits.
# The socket signs in with the Headers pane's Authorization.
# Other meetings' ids: `query { meetings { nodes { id title } } }`
subscription LiveMeeting($m: ID!) {
  meetingChanges(meetingId: $m) { kind typeName id node { ... on Note { text version } } }
}
"""

TABS = (
    Tab(SC_DASHBOARD),
    Tab(AM_HOME),
    Tab(TERRITORIES, {"id": "VXNlcjoy"}),
    Tab(WHY_VISIBLE),
    Tab(QUARTER),
    Tab(YEAR),
    Tab(QUEUE),
    Tab(OUTBOX),
    Tab(AUDIT),
    Tab(LIVE_MEETING, {"m": "TWVldGluZzoy"}),
)
