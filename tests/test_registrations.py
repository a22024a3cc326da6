"""R6, R7, R23, R25: sign-up, the approval queue through the scope, decisions made once,
and the new buyer's set-password link. Emails are checked in the outbox here; their delivery
over SMTP is tests/test_delivery.py."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

import pytest
import sqlalchemy as sa
from salescoord.db.tables import audit_events, emails, registrations, users
from salescoord.permissions.enums import Channel, Permission, RoleName
from salescoord.permissions.viewer import Viewer
from salescoord.resolvers import registration_workflow as queries

from salescoord.outbox.password_links import issue_set_password_token
from tests.db_state import snapshot
from tests.helpers import PASSWORD, codes, gid
from tests.registration_world import World, build_world
from tests.smtp import SmtpServer, deliver_all, worker

REGISTER = """
mutation($input: RegisterInput!) { register(input: $input) { email status } }
"""
QUEUE = """
query($status: RegistrationStatus, $territoryId: ID, $amId: ID, $search: String,
      $first: Int, $after: String) {
  registrations(status: $status, territoryId: $territoryId, accountManagerId: $amId, search: $search,
                first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id email status requestedAccountManager { id } territory { id } }
  }
}
"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Registration { email status } } }"
APPROVE = """
mutation($input: ApproveRegistrationInput!) {
  approveRegistration(input: $input) {
    id status decidedAt decidedBy { id }
    company { id name territory { id } }
    buyer { id role active company { id } directAccountManager { id } }
  }
}
"""
REJECT = """
mutation($id: ID!, $reason: String!) {
  rejectRegistration(id: $id, reason: $reason) { id status decisionReason }
}
"""
REASSIGN = """
mutation($id: ID!, $companyId: ID!) {
  reassignRegistrationCompany(id: $id, companyId: $companyId) { id company { id } }
}
"""
SET_PASSWORD = """
mutation($token: String!, $password: String!) {
  setPassword(token: $token, password: $password, client: WEB) { token user { id role } }
}
"""
LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password, client: WEB) { token }
}
"""
AUDIT = """
query($action: String, $actorId: ID, $objectType: String, $first: Int, $after: String) {
  auditEvents(action: $action, actorId: $actorId, objectType: $objectType, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { action objectType objectId actor { id } onBehalfOf { id } diff }
  }
}
"""
AUDIT_SINCE = """
query($since: DateTime) { auditEvents(since: $since, objectType: "Registration") { nodes { action } } }
"""
OUTBOX = """
query($status: EmailStatus) { outbox(status: $status) { totalCount nodes { kind toAddress subject status } } }
"""
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
async def world(make) -> World:
    return await build_world(make)


def application(email: str, *, am: int | None = None, territory: int | None = None, **extra) -> dict:
    return {
        "input": {
            "name": "Ann Applicant",
            "email": email,
            "companyName": "Applicant Ltd",
            "accountManagerId": gid("User", am) if am else None,
            "territoryId": gid("Territory", territory) if territory else None,
            "message": "We would like to order.",
            **extra,
        }
    }


@pytest.fixture
def sign_up(client, engine):
    """Sign up anonymously; returns the new registration's global id."""

    async def sign_up(email: str, **kwargs) -> str:
        await client.data(REGISTER, application(email, **kwargs))
        statement = sa.select(registrations.c.id).where(registrations.c.email == email.lower())
        async with engine.connect() as connection:
            return gid("Registration", (await connection.execute(statement)).scalar_one())

    return sign_up


async def rows(engine, statement) -> list:
    async with engine.connect() as connection:
        return (await connection.execute(statement)).all()


# -- sign-up ------------------------------------------------------------------------------
async def test_R4_R6_anyone_may_register_and_the_request_waits(client, engine, world):
    body = await client.data(
        REGISTER, application("Ann@Example.com", am=world.am_direct, territory=world.district)
    )
    assert body["register"] == {"email": "ann@example.com", "status": "PENDING"}
    (row,) = await rows(engine, sa.select(registrations))
    assert (row.status, row.requested_am_id, row.territory_id) == ("PENDING", world.am_direct, world.district)
    (event,) = await rows(engine, sa.select(audit_events))
    assert (event.action, event.actor_id, event.on_behalf_of_id) == (
        "registration.create",
        None,
        world.am_direct,
    )


BAD_INPUT = [
    ("R23-malformed-email", {"email": "not-an-email"}, "email"),
    ("R23-email-with-space", {"email": "ann @example.com"}, "email"),
    ("R23-over-long-message", {"message": "x" * 2001}, "message"),
    ("R23-empty-name", {"name": "  "}, "name"),
    ("R23-over-long-company", {"companyName": "c" * 201}, "companyName"),
    ("R23-unknown-am", {"accountManagerId": gid("User", 999_999)}, "accountManagerId"),
    ("R23-malformed-am-id", {"accountManagerId": "%%%"}, "accountManagerId"),
    ("R23-am-id-of-a-territory", {"accountManagerId": "TERRITORY"}, "accountManagerId"),
    ("R23-am-id-of-a-buyer", {"accountManagerId": "BUYER"}, "accountManagerId"),
    ("R23-unknown-territory", {"territoryId": gid("Territory", 999_999)}, "territoryId"),
    ("R23-territory-id-of-a-user", {"territoryId": "AM"}, "territoryId"),
]


async def test_R23_bad_sign_up_is_refused_and_writes_nothing(client, engine, world):
    stand_ins = {
        "TERRITORY": gid("Territory", world.district),
        "BUYER": gid("User", world.buyer),
        "AM": gid("User", world.am_direct),
    }
    before = await snapshot(engine)
    for label, change, field in BAD_INPUT:
        change = {key: stand_ins.get(value, value) for key, value in change.items()}
        body = await client.post(REGISTER, {"input": {**application("ann@example.com")["input"], **change}})
        assert codes(body) == ["BAD_USER_INPUT"], label
        assert body["errors"][0]["extensions"]["field"] == field, label
        assert await snapshot(engine) == before, label


async def test_R6_a_second_pending_request_for_an_email_is_a_conflict(client, engine, world, sign_up):
    await sign_up("ann@example.com")
    before = await snapshot(engine)
    body = await client.post(REGISTER, application("ANN@example.com"))
    assert codes(body) == ["CONFLICT"]
    assert "waiting for a decision" in body["errors"][0]["message"]
    assert await snapshot(engine) == before


async def test_R6_an_email_that_has_an_account_is_a_conflict(client, engine, world, make):
    await make.user("BUYER", email="taken@example.com", company=world.company)
    before = await snapshot(engine)
    body = await client.post(REGISTER, application("taken@example.com"))
    assert codes(body) == ["CONFLICT"]
    assert "sign in" in body["errors"][0]["message"]
    assert await snapshot(engine) == before


async def test_R6_two_sign_ups_for_one_email_at_once_make_one_request(client, engine, world):
    bodies = await asyncio.gather(
        *(client.post(REGISTER, application("twice@example.com")) for _ in range(4))
    )
    assert sorted(codes(body)[0] if codes(body) else "OK" for body in bodies) == [
        "CONFLICT",
        "CONFLICT",
        "CONFLICT",
        "OK",
    ]
    assert len(await rows(engine, sa.select(registrations))) == 1


# -- the queue ----------------------------------------------------------------------------
async def test_R6_each_viewer_sees_exactly_the_registrations_in_scope(client, world, sign_up):
    direct = await sign_up("direct@example.com", am=world.am_direct)
    by_territory = await sign_up("territory@example.com", territory=world.district)
    elsewhere = await sign_up("elsewhere@example.com", territory=world.elsewhere)
    above = await sign_up("region@example.com", territory=world.region)  # above every AM's tree
    expected = {
        "R6-sc-by-direct-link": (world.sc_direct, {direct}),
        "R6-sc-by-territory-below-their-am": (world.sc_territory, {by_territory}),
        "R6-sc-other-am": (world.sc_elsewhere, {elsewhere}),
        "R6-am-direct": (world.am_direct, {direct}),
        "R6-am-territory": (world.am_territory, {by_territory}),
        "R6-admin-all": (world.admin, {direct, by_territory, elsewhere, above}),
        "R6-buyer-none": (world.buyer, set()),
    }
    for label, (viewer, ids) in expected.items():
        data = await client.data(QUEUE, {"first": 50}, as_user=viewer)
        assert {n["id"] for n in data["registrations"]["nodes"]} == ids, label
        assert data["registrations"]["totalCount"] == len(ids), label
        for registration in (direct, by_territory, elsewhere):
            node = (await client.data(NODE, {"id": registration}, as_user=viewer))["node"]
            assert (node is not None) == (registration in ids), (label, registration)


async def test_R6_the_queue_filters_and_pages(client, world, sign_up):
    first = await sign_up("one@example.com", am=world.am_territory, territory=world.district)
    second = await sign_up("two@example.com", territory=world.territory)
    third = await sign_up("three@example.com", territory=world.district, name="Zed Zimmer")
    await client.data(REJECT, {"id": second, "reason": "Unknown company"}, as_user=world.am_territory)
    sc = world.sc_territory

    async def ids(**variables) -> list[str]:
        data = await client.data(QUEUE, {"first": 50, **variables}, as_user=sc)
        return [n["id"] for n in data["registrations"]["nodes"]]

    assert await ids() == [first, second, third]  # oldest first
    assert await ids(status="PENDING") == [first, third]
    assert await ids(status="REJECTED") == [second]
    assert await ids(territoryId=gid("Territory", world.district)) == [first, third]
    assert await ids(territoryId=gid("Territory", world.territory)) == [first, second, third]  # and below
    assert await ids(amId=gid("User", world.am_territory)) == [first]
    assert await ids(search="zimm") == [third]
    assert await ids(search="THREE@") == [third]
    page = (await client.data(QUEUE, {"first": 2}, as_user=sc))["registrations"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await client.data(QUEUE, {"first": 2, "after": page["pageInfo"]["endCursor"]}, as_user=sc)
    assert [n["id"] for n in rest["registrations"]["nodes"]] == [third]


async def test_R4_the_queue_needs_a_viewer(client, world):
    assert codes(await client.post(QUEUE, {})) == ["UNAUTHENTICATED"]


# -- decisions ----------------------------------------------------------------------------
async def applicant_link(engine, email: str) -> str:
    """The token of the set-password link in the decision email as it reaches the applicant:
    the outbox holds only a placeholder, the worker writes the link in at sending (R32)."""
    server = SmtpServer()
    server.start()
    try:
        await deliver_all(engine, worker(engine, server))
    finally:
        server.stop()
    (body,) = [
        message.get_body(("plain",)).get_content()
        for message in server.to(email)
        if message["Subject"] == "Your registration is approved"
    ]
    return re.search(r"set-password\?token=(\S+)", body).group(1)


async def test_R7_approval_creates_an_active_buyer_in_a_new_company_linked_to_the_requested_am(
    client, engine, world, sign_up
):
    registration = await sign_up("ann@example.com", am=world.am_territory, territory=world.district)
    data = await client.data(APPROVE, {"input": {"id": registration}}, as_user=world.sc_territory)
    approved = data["approveRegistration"]
    assert approved["status"] == "APPROVED"
    assert approved["decidedBy"] == {"id": gid("User", world.sc_territory)}
    assert approved["company"]["name"] == "Applicant Ltd"
    assert approved["company"]["territory"] == {"id": gid("Territory", world.district)}
    buyer = approved["buyer"]
    assert (buyer["role"], buyer["active"]) == ("BUYER", True)
    assert buyer["company"] == {"id": approved["company"]["id"]}
    assert buyer["directAccountManager"] == {"id": gid("User", world.am_territory)}
    # R7: the buyer chooses a password with the emailed link and is signed in; the link works once.
    token = await applicant_link(engine, "ann@example.com")
    signed_in = (await client.data(SET_PASSWORD, {"token": token, "password": NEW_PASSWORD}))["setPassword"]
    assert signed_in["user"] == {"id": buyer["id"], "role": "BUYER"}
    assert (await client.data(LOGIN, {"email": "ann@example.com", "password": NEW_PASSWORD}))["login"][
        "token"
    ]
    again = await client.post(SET_PASSWORD, {"token": token, "password": "another passphrase"})
    assert codes(again) == ["UNAUTHENTICATED"]
    assert (await client.data(LOGIN, {"email": "ann@example.com", "password": NEW_PASSWORD}))["login"][
        "token"
    ]


async def test_R7_a_set_password_link_is_single_use_also_when_used_twice_at_once(
    client, engine, world, sign_up
):
    registration = await sign_up("ann@example.com", territory=world.district)
    await client.data(APPROVE, {"input": {"id": registration}}, as_user=world.admin)
    token = await applicant_link(engine, "ann@example.com")
    bodies = await asyncio.gather(
        client.post(SET_PASSWORD, {"token": token, "password": "first passphrase"}),
        client.post(SET_PASSWORD, {"token": token, "password": "second passphrase"}),
    )
    assert sorted(codes(body)[0] if codes(body) else "OK" for body in bodies) == ["OK", "UNAUTHENTICATED"]


SET_PASSWORD_REFUSALS = [
    ("R4-forged-token", "not.a.token"),
    ("R4-sign-in-token-is-no-link", "SIGN_IN"),
    ("R4-expired-link", "EXPIRED"),
    ("R4-link-signed-with-another-key", "OTHER_KEY"),
]


async def make_passwordless(engine, user_id: int) -> None:
    async with engine.begin() as connection:
        await connection.execute(users.update().where(users.c.id == user_id).values(password_hash=None))


async def test_R4_set_password_refuses_what_is_not_a_link(client, engine, world):
    expired = replace(client.settings, set_password_ttl_seconds=-60)
    other_key = replace(client.settings, secret_keys=("another-key-" + "y" * 40,))
    stand_ins = {
        "SIGN_IN": client.token(world.buyer),
        "EXPIRED": issue_set_password_token(expired, world.buyer, None),
        "OTHER_KEY": issue_set_password_token(other_key, world.buyer, None),
    }
    await make_passwordless(engine, world.buyer)  # as a new buyer: only the link's own flaw may refuse it
    before = await snapshot(engine)
    for label, token in SET_PASSWORD_REFUSALS:
        token = stand_ins.get(token, token)
        body = await client.post(SET_PASSWORD, {"token": token, "password": NEW_PASSWORD})
        assert codes(body) == ["UNAUTHENTICATED"], label
        assert await snapshot(engine) == before, label


async def test_R7_approval_into_an_existing_company_chosen_by_reassignment(client, world, sign_up):
    registration = await sign_up("ann@example.com", am=world.am_direct)
    company = gid("Company", world.company)
    data = await client.data(REASSIGN, {"id": registration, "companyId": company}, as_user=world.admin)
    assert data["reassignRegistrationCompany"]["company"] == {"id": company}
    approved = (await client.data(APPROVE, {"input": {"id": registration}}, as_user=world.admin))[
        "approveRegistration"
    ]
    assert approved["company"]["id"] == company
    assert approved["buyer"]["company"] == {"id": company}
    assert approved["buyer"]["directAccountManager"] == {"id": gid("User", world.am_direct)}
    body = await client.post(REASSIGN, {"id": registration, "companyId": company}, as_user=world.admin)
    assert codes(body) == ["CONFLICT"]


async def test_R7_a_registration_is_decided_once(client, engine, world, sign_up):
    registration = await sign_up("ann@example.com", territory=world.district)
    await client.data(REJECT, {"id": registration, "reason": "Not a retailer"}, as_user=world.am_territory)
    before = await snapshot(engine)
    for query, variables in (
        (APPROVE, {"input": {"id": registration}}),
        (REJECT, {"id": registration, "reason": "Again"}),
    ):
        body = await client.post(query, variables, as_user=world.sc_territory)
        assert codes(body) == ["CONFLICT"]
    assert await snapshot(engine) == before


async def test_R7_concurrent_decisions_give_one_success_and_one_conflict(client, engine, world, sign_up):
    for round_, (first, second) in enumerate([(APPROVE, APPROVE), (APPROVE, REJECT), (REJECT, REJECT)]):
        email = f"race{round_}@example.com"
        registration = await sign_up(email, territory=world.district)
        variables = {APPROVE: {"input": {"id": registration}}, REJECT: {"id": registration, "reason": "No"}}
        bodies = await asyncio.gather(
            client.post(first, variables[first], as_user=world.sc_territory),
            client.post(second, variables[second], as_user=world.am_territory),
        )
        outcomes = sorted(codes(body)[0] if codes(body) else "OK" for body in bodies)
        assert outcomes == ["CONFLICT", "OK"], (round_, bodies)
        buyers = await rows(engine, sa.select(users.c.id).where(users.c.email == email))
        decisions = await rows(
            engine,
            sa.select(emails.c.id).where(emails.c.to_address == email, emails.c.kind == "DECISION_NOTICE"),
        )
        assert len(decisions) == 1
        assert len(buyers) <= 1


DECISION_REFUSALS = [
    ("R6-buyer-may-not-decide", "buyer", {}, "FORBIDDEN"),
    ("R6-sc-outside-scope-sees-nothing", "sc_elsewhere", {}, "NOT_FOUND"),
    ("R7-new-company-outside-scope", "sc_territory", {"newCompanyTerritoryId": "ELSEWHERE"}, "NOT_FOUND"),
    ("R7-company-outside-scope", "sc_direct", {"companyId": "ACME"}, "NOT_FOUND"),
    ("R7-company-and-new-company", "admin", {"companyId": "ACME", "newCompanyName": "X"}, "BAD_USER_INPUT"),
]


async def test_R6_R7_decisions_refused(client, engine, world, sign_up):
    registration = await sign_up("ann@example.com", am=world.am_direct, territory=world.district)
    stand_ins = {"ELSEWHERE": gid("Territory", world.elsewhere), "ACME": gid("Company", world.company)}
    before = await snapshot(engine)
    for label, who, extra, code in DECISION_REFUSALS:
        extra = {key: stand_ins.get(value, value) for key, value in extra.items()}
        variables = {"input": {"id": registration, **extra}}
        body = await client.post(APPROVE, variables, as_user=getattr(world, who))
        assert codes(body) == [code], label
        assert await snapshot(engine) == before, label


async def test_R10_R16_registrations_are_decided_on_the_web_not_with_an_app_token(
    client, engine, world, sign_up
):
    """Deciding is back-office work (the app sends meeting, note and list work with keys): an
    app token gets FORBIDDEN for every decision, and nothing is written."""
    registration = await sign_up("ann@example.com", am=world.am_direct, territory=world.district)
    before = await snapshot(engine)
    decisions = [
        (APPROVE, {"input": {"id": registration}}),
        (REJECT, {"id": registration, "reason": "No"}),
        (REASSIGN, {"id": registration, "companyId": gid("Company", world.company)}),
    ]
    for who in (world.sc_direct, world.am_direct, world.admin):
        for mutation, variables in decisions:
            body = await client.post(mutation, variables, as_user=who, channel=Channel.APP)
            assert codes(body) == ["FORBIDDEN"], (who, mutation, body)
    assert await snapshot(engine) == before
    rejected = await client.data(REJECT, {"id": registration, "reason": "No"}, as_user=world.sc_direct)
    assert rejected["rejectRegistration"]["status"] == "REJECTED"  # the same decision on the web


async def test_R7_new_company_territory_must_be_inside_the_deciders_tree(
    client, engine, world, make, sign_up
):
    """A territory the SC may see only through a buyer's company is not theirs to settle in."""
    outside = await make.territory("Outside")
    far_company = await make.company(outside, "Far Co")
    await make.buyer(far_company, direct_am=world.am_territory)  # makes `outside` visible to the SC
    registration = await sign_up("ann@example.com", territory=world.district)
    before = await snapshot(engine)
    body = await client.post(
        APPROVE,
        {"input": {"id": registration, "newCompanyTerritoryId": gid("Territory", outside)}},
        as_user=world.sc_territory,
    )
    assert codes(body) == ["BAD_USER_INPUT"]
    assert await snapshot(engine) == before


async def test_R6_deciding_needs_MANAGE_REGISTRATIONS(client, engine, world, sign_up):
    registration = await sign_up("ann@example.com", territory=world.district)
    await client.data(
        "mutation { setRolePermissions(role: SALES_COORDINATOR, permissions: [MANAGE_MEETINGS]) { name } }",
        as_user=world.admin,
    )
    body = await client.post(REJECT, {"id": registration, "reason": "No"}, as_user=world.sc_territory)
    assert codes(body) == ["FORBIDDEN"]


# -- atomicity (R20, R25) -----------------------------------------------------------------
async def test_R20_R25_a_refused_approval_leaves_no_outbox_row_and_no_audit_event(
    client, engine, world, make, sign_up
):
    """The applicant's email gets an account between sign-up and approval: the approval fails
    after it closed the registration and made the company, and all of it rolls back."""
    registration = await sign_up("ann@example.com", territory=world.district)
    await make.user("BUYER", email="ann@example.com", company=world.company)
    before = await snapshot(engine)
    body = await client.post(APPROVE, {"input": {"id": registration}}, as_user=world.sc_territory)
    assert codes(body) == ["CONFLICT"]
    assert await snapshot(engine) == before


async def test_R20_R25_a_rolled_back_decision_leaves_no_outbox_row_and_no_audit_event(
    engine, world, client, sign_up
):
    registration = await sign_up("ann@example.com", am=world.am_direct, territory=world.district)
    pk = int(__import__("base64").b64decode(registration).decode().split(":")[1])
    actor = Viewer(world.admin, "a@x", "Admin", RoleName.ADMIN, frozenset(Permission))
    before = await snapshot(engine)

    class Abort(Exception):
        pass

    for decide in (
        lambda c: queries.reject_registration(c, actor, pk, "No"),
        lambda c: queries.approve_registration(
            c,
            actor,
            pk,
            company_id=world.company,
            new_company=None,
            valid_hours=1,
        ),
    ):
        with pytest.raises(Abort):
            async with engine.begin() as connection:
                await decide(connection)
                written = await connection.execute(sa.select(sa.func.count()).select_from(emails))
                assert written.scalar_one() > len(before["emails"])  # it did write, inside
                raise Abort
        assert await snapshot(engine) == before


# -- admin views --------------------------------------------------------------------------
async def test_R25_registration_events_name_the_requested_am_and_admins_filter_them(client, world, sign_up):
    registration = await sign_up("ann@example.com", am=world.am_direct)
    await client.data(
        APPROVE,
        {"input": {"id": registration, "companyId": gid("Company", world.company)}},
        as_user=world.admin,
    )
    data = await client.data(AUDIT, {"objectType": "Registration"}, as_user=world.admin)
    events = data["auditEvents"]["nodes"]
    assert [e["action"] for e in events] == ["registration.approve", "registration.create"]  # newest first
    assert all(e["onBehalfOf"] == {"id": gid("User", world.am_direct)} for e in events)
    assert events[0]["actor"] == {"id": gid("User", world.admin)}
    assert events[1]["actor"] is None
    assert events[0]["diff"]["company_id"] == world.company
    by_actor = await client.data(AUDIT, {"actorId": gid("User", world.admin)}, as_user=world.admin)
    assert [e["action"] for e in by_actor["auditEvents"]["nodes"]] == ["registration.approve"]
    assert [
        e["action"]
        for e in (await client.data(AUDIT, {"action": "registration.create"}, as_user=world.admin))[
            "auditEvents"
        ]["nodes"]
    ] == ["registration.create"]
    later = await client.data(AUDIT_SINCE, {"since": "2999-01-01T00:00:00+00:00"}, as_user=world.admin)
    assert later["auditEvents"]["nodes"] == []
    earlier = await client.data(AUDIT_SINCE, {"since": "2000-01-01T00:00:00+00:00"}, as_user=world.admin)
    assert len(earlier["auditEvents"]["nodes"]) == 2
    page = await client.data(AUDIT, {"first": 1}, as_user=world.admin)
    assert page["auditEvents"]["pageInfo"]["hasNextPage"] is True
    rest = await client.data(
        AUDIT, {"first": 5, "after": page["auditEvents"]["pageInfo"]["endCursor"]}, as_user=world.admin
    )
    assert [e["action"] for e in rest["auditEvents"]["nodes"]] == ["registration.create"]
    assert codes(await client.post(AUDIT, {}, as_user=world.sc_direct)) == ["FORBIDDEN"]


async def test_R20_without_smtp_emails_wait_in_the_outbox_readable_by_admins(client, world, sign_up):
    await sign_up("ann@example.com", am=world.am_direct, territory=world.district)
    data = await client.data(OUTBOX, {"status": "PENDING"}, as_user=world.admin)
    recipients = sorted(n["toAddress"] for n in data["outbox"]["nodes"])
    assert data["outbox"]["totalCount"] == 4  # AM direct + SC, AM territory + SC
    assert all(
        n["kind"] == "REGISTRATION_NOTICE" and n["status"] == "PENDING" for n in data["outbox"]["nodes"]
    )
    assert len(recipients) == len(set(recipients))
    assert codes(await client.post(OUTBOX, {}, as_user=world.sc_direct)) == ["FORBIDDEN"]
    assert codes(await client.post(OUTBOX, {})) == ["UNAUTHENTICATED"]


async def test_R7_the_buyer_can_sign_in_only_after_choosing_a_password(client, engine, world, sign_up):
    registration = await sign_up("ann@example.com", territory=world.district)
    await client.data(APPROVE, {"input": {"id": registration}}, as_user=world.admin)
    body = await client.post(LOGIN, {"email": "ann@example.com", "password": PASSWORD})
    assert codes(body) == ["UNAUTHENTICATED"]


QUEUE_PAGE = """query {
  registrations(first: 100) { totalCount nodes {
    name requestedAccountManager { name } territory { name parent { name } } company { name }
  } }
}"""


async def test_R6_the_queue_costs_the_same_statements_for_2_and_12_registrations(
    client, engine, world, statements, sign_up
):
    counts = []
    for total in (2, 12):
        while len(await rows(engine, sa.select(registrations.c.id))) < total:
            n = len(await rows(engine, sa.select(registrations.c.id)))
            am = world.am_direct if n % 2 else world.am_territory
            await sign_up(f"queue{n}@example.com", am=am, territory=world.district)
        statements["count"] = 0
        data = await client.data(QUEUE_PAGE, as_user=world.admin)
        assert data["registrations"]["totalCount"] == total
        counts.append(statements["count"])
    assert counts[0] == counts[1]


async def test_R12_a_decision_counts_as_activity_of_the_decider(client, engine, world, sign_up):
    """Reporting counts registrations decided (R12), written in the decision's transaction."""
    from salescoord.db.tables import activities

    registration = await sign_up("counted@example.test", territory=world.district)
    await client.data(REJECT, {"id": registration, "reason": "Not a retailer"}, as_user=world.am_territory)
    second = await client.post(REJECT, {"id": registration, "reason": "Again"}, as_user=world.am_territory)
    assert codes(second) == ["CONFLICT"]
    decided = await rows(
        engine, sa.select(activities.c.user_id).where(activities.c.kind == "REGISTRATION_DECIDED")
    )
    assert [row.user_id for row in decided] == [world.am_territory]
