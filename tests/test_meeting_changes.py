"""R33 meeting lifecycle: cancel (with a reason, attendees notified) and reschedule, in the
change feed; a host's overlapping meetings refused with CONFLICT naming the other meeting
unless overridden; a meeting keeps its time zone and its emails show local time. Who may
cancel or reschedule is who may change the meeting (R9 on the web, R10 through the app);
every change leaves an audit event (R25); bad input writes nothing (R23)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from salescoord.db.migrate import alembic_config
from salescoord.db.models.base import UTCDateTime
from salescoord.db.session import create_engine
from salescoord.db.tables import audit_events, emails, meetings, mutation_outcomes, users
from salescoord.permissions.enums import Channel

from salescoord.outbox.delivery import build_message
from tests.db_state import snapshot
from tests.helpers import codes, gid
from tests.smtp import SmtpServer, deliver_all, worker
from tests.test_sync import feed, start

WEB, APP = Channel.WEB, Channel.APP
T0 = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # 10:00 in Paris, 18:00 in Tokyo

CANCEL = """mutation($id: ID!, $reason: String!, $key: String) {
  cancelMeeting(meetingId: $id, reason: $reason, clientMutationId: $key) {
    id status cancelReason cancelledAt version } }"""
RESCHEDULE = """mutation($id: ID!, $at: DateTime!, $minutes: Int, $zone: String, $allow: Boolean! = false,
  $key: String) {
  rescheduleMeeting(meetingId: $id, startsAt: $at, durationMinutes: $minutes, timeZone: $zone,
    allowDoubleBooking: $allow, clientMutationId: $key) {
    id status startsAt endsAt durationMinutes timeZone } }"""
CREATE = """mutation($host: ID!, $at: DateTime!, $minutes: Int! = 60, $zone: String! = "UTC",
  $allow: Boolean! = false, $title: String! = "Visit") {
  createMeeting(hostId: $host, title: $title, startsAt: $at, durationMinutes: $minutes, timeZone: $zone,
    allowDoubleBooking: $allow) { id startsAt endsAt durationMinutes timeZone } }"""
UPDATE = """mutation($id: ID!, $at: DateTime, $host: ID, $allow: Boolean! = false) {
  updateMeeting(id: $id, startsAt: $at, hostId: $host, allowDoubleBooking: $allow) { id startsAt endsAt } }"""
START = 'mutation($id: ID!) { startMeeting(id: $id, clientMutationId: "start") { id status } }'
ADD = """mutation($id: ID!, $buyer: ID!) { addAttendees(meetingId: $id, buyerIds: [$buyer]) { id } }"""
SUMMARY = """mutation($id: ID!) { sendMeetingSummary(meetingId: $id) { id } }"""
NODE = "query($id: ID!) { node(id: $id) { ... on Meeting { status cancelReason startsAt timeZone } } }"
FEED_NODE = """query($since: String) { changes(since: $since, first: 100) {
  entries { kind typeName id node { ... on Meeting { status cancelReason } } } } }"""


@dataclass
class World:
    admin: int
    am: int
    other_am: int
    sc: int
    other_sc: int
    buyer: int  # direct buyer of `am`
    sibling: int  # buyer of `am` by territory


@pytest.fixture
async def world(make) -> World:
    north, south = await make.territory("North"), await make.territory("South")
    northwind = await make.company(north, "Northwind")
    am = await make.am("AM", territories=[north])
    other_am = await make.am("Other AM", territories=[south])
    return World(
        admin=await make.admin("Admin"),
        am=am,
        other_am=other_am,
        sc=await make.sc("SC", ams=[am]),
        other_sc=await make.sc("Other SC", ams=[other_am]),
        buyer=await make.buyer(northwind, "Buyer", direct_am=am),
        sibling=await make.buyer(northwind, "Sibling"),
    )


async def meeting_of(make, world: World, *, at: datetime = T0, zone: str = "Europe/Paris") -> int:
    meeting = await make.meeting(host=world.am, created_by=world.sc, starts_at=at, time_zone=zone)
    await make.attendee(meeting, world.buyer)
    await make.attendee(meeting, world.sibling)
    return meeting


async def send(client, query: str, variables: dict, as_user: int) -> dict:
    """JSON with ASCII escapes, as a browser sends a lone surrogate ("\\ud800")."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {client.token(as_user)}"}
    body = json.dumps({"query": query, "variables": variables})
    return (await client.http.post("/graphql", content=body, headers=headers)).json()


async def outbox(engine, kind: str) -> list:
    async with engine.connect() as connection:
        statement = sa.select(emails).where(emails.c.kind == kind).order_by(emails.c.to_address)
        return (await connection.execute(statement)).all()


async def audit(engine, action: str, meeting: int) -> list:
    async with engine.connect() as connection:
        statement = sa.select(audit_events).where(
            audit_events.c.action == action, audit_events.c.object_id == meeting
        )
        return (await connection.execute(statement)).all()


# -- who may cancel and reschedule (R9, R10) ------------------------------------------------
RIGHTS = [
    ("R9-sc-of-host-web", "sc", WEB, None),
    ("R9-host-web", "am", WEB, None),
    ("R10-host-app", "am", APP, None),
    ("R9-admin-web", "admin", WEB, None),
    ("R10-sc-through-app", "sc", APP, "NOT_FOUND"),  # through the app only the host sees it
    ("R9-other-am", "other_am", WEB, "NOT_FOUND"),
    ("R9-other-sc", "other_sc", WEB, "NOT_FOUND"),
    ("R13-attending-buyer", "buyer", WEB, "FORBIDDEN"),
]


async def test_R33_R9_R10_who_may_cancel(client, make, world, engine):
    for label, viewer, channel, error in RIGHTS:
        meeting = await meeting_of(make, world)
        before, known = await snapshot(engine), {e.id for e in await outbox(engine, "MEETING_CANCELLED")}
        body = await client.post(
            CANCEL,
            {"id": gid("Meeting", meeting), "reason": "The host is ill", "key": f"cancel-{label}"},
            as_user=getattr(world, viewer),
            channel=channel,
        )
        assert codes(body) == ([error] if error else []), (label, body)
        if error:
            assert await snapshot(engine) == before, label
            continue
        cancelled = body["data"]["cancelMeeting"]
        assert (cancelled["status"], cancelled["cancelReason"]) == ("CANCELLED", "The host is ill")
        assert cancelled["cancelledAt"] is not None
        sent = [e for e in await outbox(engine, "MEETING_CANCELLED") if e.id not in known]
        assert [e.to_address for e in sent] == await _emails(engine, world.buyer, world.sibling), label
        assert all("The host is ill" in e.body_text and "The host is ill" in e.body_html for e in sent)
        assert all("2027-03-10 10:00 (Europe/Paris)" in e.body_text for e in sent)
        (event,) = await audit(engine, "meeting.cancel", meeting)
        assert event.actor_id == getattr(world, viewer)
        assert event.on_behalf_of_id == (None if viewer == "am" else world.am)  # R25
        assert event.diff == {"reason": "The host is ill"}


async def test_R33_R9_R10_who_may_reschedule(client, make, world, engine):
    for day, (label, viewer, channel, error) in enumerate(RIGHTS, start=1):
        meeting = await meeting_of(make, world)
        before, known = await snapshot(engine), {e.id for e in await outbox(engine, "MEETING_RESCHEDULED")}
        at = T0 + timedelta(days=day)
        body = await client.post(
            RESCHEDULE,
            {"id": gid("Meeting", meeting), "at": at.isoformat(), "minutes": 90, "key": f"move-{label}"},
            as_user=getattr(world, viewer),
            channel=channel,
        )
        assert codes(body) == ([error] if error else []), (label, body)
        if error:
            assert await snapshot(engine) == before, label
            continue
        assert body["data"]["rescheduleMeeting"] == {
            "id": gid("Meeting", meeting),
            "status": "SCHEDULED",
            "startsAt": at.isoformat(),
            "endsAt": (at + timedelta(minutes=90)).isoformat(),
            "durationMinutes": 90,
            "timeZone": "Europe/Paris",
        }
        sent = [e for e in await outbox(engine, "MEETING_RESCHEDULED") if e.id not in known]
        assert [e.to_address for e in sent] == await _emails(engine, world.buyer, world.sibling), label
        for email in sent:  # the new and the old time, on the meeting's clock
            assert f"{at:%Y-%m-%d} 10:00 (Europe/Paris)" in email.body_text, email.body_text
            assert "2027-03-10 10:00 (Europe/Paris)" in email.body_text
            assert "for 90 minutes" in email.body_text
        (event,) = await audit(engine, "meeting.reschedule", meeting)
        assert event.actor_id == getattr(world, viewer)


async def _emails(engine, *user_ids: int) -> list[str]:
    async with engine.connect() as connection:
        statement = sa.select(users.c.email).where(users.c.id.in_(user_ids))
        return sorted((await connection.execute(statement)).scalars())


# -- the feed (R18) and a closed meeting ------------------------------------------------------
async def test_R33_R18_a_cancellation_reaches_the_hosts_app_through_the_feed(client, make, world):
    meeting = await meeting_of(make, world)
    since = await start(client, world.am, APP)
    await client.data(
        CANCEL, {"id": gid("Meeting", meeting), "reason": "Snowed in"}, as_user=world.sc
    )  # on the web, by the SC
    entries, _ = await feed(client, world.am, since, APP)
    assert entries == [("UPSERT", gid("Meeting", meeting))]
    data = await client.data(FEED_NODE, {"since": since}, as_user=world.am, channel=APP)
    (entry,) = data["changes"]["entries"]
    assert entry["node"] == {"status": "CANCELLED", "cancelReason": "Snowed in"}
    # the attending buyer reads it on the web (R13)
    seen = await client.data(NODE, {"id": gid("Meeting", meeting)}, as_user=world.buyer)
    assert seen["node"]["status"] == "CANCELLED"


async def test_R33_a_cancelled_meeting_is_not_cancelled_again_started_edited_moved_or_attended(
    client, make, world, engine
):
    meeting = await meeting_of(make, world)
    await client.data(CANCEL, {"id": gid("Meeting", meeting), "reason": "Off"}, as_user=world.am)
    before = await snapshot(engine)
    m = gid("Meeting", meeting)
    attempts = {
        "cancel again": (CANCEL, {"id": m, "reason": "Again"}, WEB),
        "start": (START, {"id": m}, APP),
        "edit the time": (UPDATE, {"id": m, "at": "2027-04-01T09:00:00Z"}, WEB),
        "reschedule": (RESCHEDULE, {"id": m, "at": "2027-04-01T09:00:00Z"}, WEB),
        "add an attendee": (ADD, {"id": m, "buyer": gid("User", world.buyer)}, WEB),
    }
    for label, (document, variables, channel) in attempts.items():
        body = await client.post(document, variables, as_user=world.am, channel=channel)
        assert codes(body) == ["CONFLICT"], (label, body)
        assert await snapshot(engine) == before, label


async def test_R33_an_ended_meeting_is_not_cancelled_or_rescheduled(client, make, world, engine):
    meeting = await make.meeting(host=world.am, starts_at=T0, status="ENDED")
    before = await snapshot(engine)
    for document, variables in [
        (CANCEL, {"id": gid("Meeting", meeting), "reason": "Late"}),
        (RESCHEDULE, {"id": gid("Meeting", meeting), "at": "2027-04-01T09:00:00Z"}),
    ]:
        body = await client.post(document, variables, as_user=world.am)
        assert codes(body) == ["CONFLICT"], body
        assert body["errors"][0]["extensions"]["status"] == "ENDED"
    assert await snapshot(engine) == before


# -- double booking -----------------------------------------------------------------------
async def test_R33_a_hosts_overlapping_meeting_is_a_conflict_naming_it_unless_overridden(
    client, make, world, engine
):
    booked = await meeting_of(make, world)  # 09:00-10:00 UTC
    named = gid("Meeting", booked)
    host = gid("User", world.am)
    before = await snapshot(engine)
    for at, minutes in [
        ("2027-03-10T09:30:00Z", 60),
        ("2027-03-10T08:30:00Z", 31),
        ("2027-03-10T08:00:00Z", 180),
    ]:
        body = await client.post(CREATE, {"host": host, "at": at, "minutes": minutes}, as_user=world.sc)
        assert codes(body) == ["CONFLICT"], (at, body)
        error = body["errors"][0]
        assert error["extensions"]["meetingId"] == named and named in error["message"]
        assert error["extensions"]["field"] == "startsAt"
        assert await snapshot(engine) == before
    # touching is not overlapping: [start, end)
    for at, minutes in [("2027-03-10T10:00:00Z", 30), ("2027-03-10T08:30:00Z", 30)]:
        await client.data(CREATE, {"host": host, "at": at, "minutes": minutes}, as_user=world.sc)
    # another host's meeting at the same time is no conflict
    await client.data(CREATE, {"host": gid("User", world.sc), "at": "2027-03-10T09:00:00Z"}, as_user=world.sc)
    # the override books it, and the next overlap names the earliest meeting it overlaps
    override = {"host": host, "at": "2027-03-10T09:15:00Z", "minutes": 15, "allow": True}
    created = await client.data(CREATE, override, as_user=world.am)
    assert created["createMeeting"]["endsAt"] == "2027-03-10T09:30:00+00:00"


async def test_R33_moving_a_meeting_onto_another_of_its_host_is_a_conflict(client, make, world, engine):
    booked = await meeting_of(make, world)
    later = await make.meeting(host=world.am, starts_at=T0 + timedelta(hours=3))
    sc_own = await make.meeting(host=world.sc, starts_at=T0)
    before = await snapshot(engine)
    onto = {"at": "2027-03-10T09:45:00Z"}
    attempts = {
        "reschedule": (RESCHEDULE, {"id": gid("Meeting", later), **onto}, "startsAt"),
        "edit the time": (UPDATE, {"id": gid("Meeting", later), **onto}, "startsAt"),
        "a longer duration": (
            RESCHEDULE,
            {"id": gid("Meeting", booked), "at": T0.isoformat(), "minutes": 200},
            "startsAt",
        ),
        "a new host": (UPDATE, {"id": gid("Meeting", sc_own), "host": gid("User", world.am)}, "hostId"),
    }
    for label, (document, variables, field) in attempts.items():
        body = await client.post(document, variables, as_user=world.sc)
        assert codes(body) == ["CONFLICT"], (label, body)
        assert body["errors"][0]["extensions"]["field"] == field, label
        assert body["errors"][0]["extensions"]["meetingId"] in (gid("Meeting", booked), gid("Meeting", later))
        assert await snapshot(engine) == before, label
    # a meeting does not clash with itself; the override moves it onto the other
    await client.data(
        RESCHEDULE, {"id": gid("Meeting", booked), "at": "2027-03-10T09:30:00Z"}, as_user=world.sc
    )
    moved = await client.data(UPDATE, {"id": gid("Meeting", later), **onto, "allow": True}, as_user=world.sc)
    assert moved["updateMeeting"]["endsAt"] == "2027-03-10T10:45:00+00:00"


async def test_R33_a_cancelled_meeting_leaves_its_time_free(client, make, world):
    booked = await meeting_of(make, world)
    await client.data(CANCEL, {"id": gid("Meeting", booked), "reason": "Off"}, as_user=world.am)
    await client.data(CREATE, {"host": gid("User", world.am), "at": T0.isoformat()}, as_user=world.am)


# -- time zones (R21 summaries, emails) ----------------------------------------------------
async def test_R33_R21_the_summary_shows_the_time_on_the_meetings_clock(client, make, world, engine):
    created = await client.data(
        CREATE,
        {"host": gid("User", world.am), "at": T0.isoformat(), "zone": "Asia/Tokyo"},
        as_user=world.am,
    )
    meeting = created["createMeeting"]
    assert (meeting["startsAt"], meeting["timeZone"]) == ("2027-03-10T09:00:00+00:00", "Asia/Tokyo")
    await make.attendee(int(_pk(meeting["id"])), world.buyer)
    await client.data(SUMMARY, {"id": meeting["id"]}, as_user=world.am)
    (summary,) = await outbox(engine, "MEETING_SUMMARY")
    assert "Held: 2027-03-10 18:00 (Asia/Tokyo)" in summary.body_text
    assert "Held: 2027-03-10 18:00 (Asia/Tokyo)" in summary.body_html
    # moved into another zone: the notice reads the new time on the new clock, the old on the old
    await client.data(
        RESCHEDULE,
        {"id": meeting["id"], "at": "2027-07-01T16:00:00Z", "zone": "America/New_York"},
        as_user=world.am,
    )
    (notice,) = await outbox(engine, "MEETING_RESCHEDULED")
    assert "moves to 2027-07-01 12:00 (America/New_York)" in notice.body_text  # EDT, UTC-4
    assert "planned for 2027-03-10 18:00 (Asia/Tokyo)" in notice.body_text


def _pk(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":")[1]


# -- bad input writes nothing (R23) -------------------------------------------------------
BAD = {
    "unknown zone": ({"zone": "Mars/Olympus_Mons"}, "timeZone"),
    "a path, not a zone": ({"zone": "../../etc/passwd"}, "timeZone"),
    "empty zone": ({"zone": ""}, "timeZone"),
    # refused where the variables enter, so the variable is named (R23)
    "zone with NUL": ({"zone": "Europe/Paris\x00"}, "zone"),
    "zone with a lone surrogate": ({"zone": "Europe/\ud800"}, "zone"),
    "overlong zone": ({"zone": "Europe/" + "x" * 200}, "timeZone"),
    "too short": ({"minutes": 4}, "durationMinutes"),
    "too long": ({"minutes": 1441}, "durationMinutes"),
    "negative": ({"minutes": -60}, "durationMinutes"),
    "beyond Int": ({"minutes": 2**31}, "minutes"),
    "no UTC instant": ({"at": "9999-12-31T23:59:59-01:00"}, "at"),
}
BAD_REASONS = {
    "empty": "",
    "blank": "   ",
    "NUL": "Ill\x00",
    "lone surrogate": "Ill \udc00",
    "control character": "Ill\x07",
    "one over the column": "n" * 2001,
}


async def test_R23_R33_bad_times_zones_and_durations_write_nothing(client, make, world, engine):
    meeting = await meeting_of(make, world)
    before = await snapshot(engine)
    for label, (change, field) in BAD.items():
        create = {"host": gid("User", world.am), "at": "2027-05-01T09:00:00Z", **change}
        move = {"id": gid("Meeting", meeting), "at": "2027-05-01T09:00:00Z", **change}
        for document, variables in [(CREATE, create), (RESCHEDULE, move)]:
            body = await send(client, document, variables, world.am)
            assert codes(body) == ["BAD_USER_INPUT"], (label, body)
            assert body["errors"][0]["extensions"].get("field") == field, (label, body)
            assert await snapshot(engine) == before, label


async def test_R23_R33_a_bad_reason_writes_nothing(client, make, world, engine):
    meeting = await meeting_of(make, world)
    before = await snapshot(engine)
    for label, reason in BAD_REASONS.items():
        body = await send(client, CANCEL, {"id": gid("Meeting", meeting), "reason": reason}, world.am)
        assert codes(body) == ["BAD_USER_INPUT"], (label, body)
        assert body["errors"][0]["extensions"]["field"] == "reason", label
        assert await snapshot(engine) == before, label


async def test_R33_a_start_at_the_calendars_end_ends_there(client, make, world, engine):
    """Every time with a UTC instant is a valid start (R23): a meeting that would end past the
    calendar ends at its last moment, and its emails still read."""
    meeting = await meeting_of(make, world)
    data = await client.data(
        RESCHEDULE, {"id": gid("Meeting", meeting), "at": "9999-12-31T23:30:00Z"}, as_user=world.am
    )
    assert data["rescheduleMeeting"]["endsAt"].startswith("9999-12-31T23:59:59.999999")
    async with engine.connect() as connection:
        stored = (
            await connection.execute(sa.select(meetings.c.ends_at).where(meetings.c.id == meeting))
        ).scalar()
    assert stored == datetime.max.replace(tzinfo=UTC)
    assert len(await outbox(engine, "MEETING_RESCHEDULED")) == 2


# -- migration 0009 (R26, R27) -------------------------------------------------------------
async def test_R33_migration_0009_gives_existing_meetings_an_hour_in_utc_and_goes_back(empty_database):
    """Existing meetings last the default hour in UTC, one at the calendar's end ends there;
    going back turns a cancelled meeting into an ended one and drops the columns."""
    config = alembic_config(empty_database)
    await asyncio.to_thread(command.upgrade, config, "0008")
    engine = create_engine(empty_database)
    typed = sa.table(
        "meetings",
        *(sa.column(c) for c in ("id", "host_id", "created_by_id", "title", "status", "version")),
        *(sa.column(c, UTCDateTime()) for c in ("starts_at", "created_at", "updated_at")),
    )
    users = sa.table("users", *(sa.column(c) for c in ("id", "email", "name", "role", "active")),
                     *(sa.column(c, UTCDateTime()) for c in ("created_at", "updated_at")))  # fmt: skip
    at = datetime(2027, 3, 10, 9, 0, 0, 250_000, tzinfo=UTC)
    last = datetime(9999, 12, 31, 23, 30, tzinfo=UTC)
    try:
        async with engine.begin() as connection:
            now = {"created_at": at, "updated_at": at}
            am = (
                await connection.execute(
                    users.insert()
                    .values(email="am@example.com", name="AM", role="ACCOUNT_MANAGER", active=True, **now)
                    .returning(sa.column("id"))
                )
            ).scalar_one()
            for start in (at, last):
                row = {"host_id": am, "created_by_id": am, "title": "Review", "status": "SCHEDULED"}
                await connection.execute(typed.insert().values(**row, version=1, starts_at=start, **now))
        await asyncio.to_thread(command.upgrade, config, "head")
        columns = (
            meetings.c.starts_at,
            meetings.c.ends_at,
            meetings.c.duration_minutes,
            meetings.c.time_zone,
        )
        async with engine.begin() as connection:
            rows = (await connection.execute(sa.select(*columns).order_by(meetings.c.id))).all()
            assert [tuple(r) for r in rows] == [
                (at, at + timedelta(hours=1), 60, "UTC"),
                (last, datetime.max.replace(tzinfo=UTC), 60, "UTC"),
            ]
            await connection.execute(
                meetings.update()
                .where(meetings.c.starts_at == at)
                .values(status="CANCELLED", cancel_reason="x")
            )
        await asyncio.to_thread(command.downgrade, config, "0008")
        async with engine.begin() as connection:
            statuses = (
                await connection.execute(sa.text("SELECT status FROM meetings ORDER BY id"))
            ).scalars()
            assert list(statuses) == ["ENDED", "SCHEDULED"]
            with pytest.raises(sa.exc.DBAPIError):
                await connection.execute(sa.text("SELECT ends_at FROM meetings"))
        await asyncio.to_thread(command.upgrade, config, "head")
    finally:
        await engine.dispose()


async def test_R33_R20_a_title_with_line_breaks_still_makes_a_deliverable_notice(client, make, world, engine):
    """A title may hold line breaks (R23 lets them through); no email header may, so the
    subject is written on one line and the worker can build the message."""
    meeting = await make.meeting(host=world.am, starts_at=T0, title="Spring\nline\r\nreview")
    await make.attendee(meeting, world.buyer)
    await client.data(CANCEL, {"id": gid("Meeting", meeting), "reason": "Off"}, as_user=world.am)
    await client.data(SUMMARY, {"id": gid("Meeting", meeting)}, as_user=world.am)
    for kind in ("MEETING_CANCELLED", "MEETING_SUMMARY"):
        (email,) = await outbox(engine, kind)
        assert email.subject.endswith(": Spring line review")
        assert build_message(email, "salescoord@example.test")["Subject"] == email.subject


async def test_R33_concurrent_bookings_of_one_host_at_one_time_are_one_meeting(client, make, world, engine):
    """Each booking checks the host's meetings with the host's row locked (PostgreSQL) or
    under the database's write lock (SQLite): of two at once, one is a CONFLICT."""
    host = gid("User", world.am)
    for hour in range(8, 13):
        at = f"2027-06-01T{hour:02d}:00:00Z"
        answers = await asyncio.gather(
            *(
                client.post(CREATE, {"host": host, "at": at, "title": f"Visit {n}"}, as_user=world.sc)
                for n in (1, 2)
            )
        )
        assert sorted(codes(a) for a in answers) == [[], ["CONFLICT"]], answers
    async with engine.connect() as connection:
        booked = (await connection.execute(sa.select(sa.func.count()).select_from(meetings))).scalar_one()
    assert booked == 5


async def test_R16_R31_a_booking_stored_before_the_new_arguments_answers_its_replay_only_at_their_defaults(
    client, make, world, engine
):
    """createMeeting gained durationMinutes, timeZone and allowDoubleBooking after outcomes were
    stored in the earlier form (every argument, null when absent): such an outcome answers a
    replay that leaves them at their defaults, also written out, and no other."""
    meeting = await make.meeting(host=world.am, starts_at=T0)
    earlier = {"hostId": gid("User", world.am), "title": "Visit", "startsAt": str(T0), "attendeeIds": None}
    canonical = json.dumps({"operation": "createMeeting", "arguments": earlier}, sort_keys=True)
    async with engine.begin() as connection:
        await connection.execute(
            mutation_outcomes.insert().values(
                user_id=world.am,
                client_mutation_id="old-key",
                operation="createMeeting",
                request_hash=hashlib.sha256(canonical.encode()).hexdigest(),
                result_type="Meeting",
                result_id=meeting,
                created_at=T0,
            )
        )
    before = await snapshot(engine)
    host = gid("User", world.am)
    call = f'hostId: "{host}", title: "Visit", startsAt: "{T0.isoformat()}", clientMutationId: "old-key"'
    for extra, answered in [
        ("", True),
        ('durationMinutes: 60, timeZone: "UTC", allowDoubleBooking: false', True),
        ('timeZone: "Europe/Paris"', False),
        ("durationMinutes: 90", False),
        ("allowDoubleBooking: true", False),
    ]:
        body = await client.post(f"mutation {{ createMeeting({call} {extra}) {{ id }} }}", as_user=world.am)
        if answered:
            assert body == {"data": {"createMeeting": {"id": gid("Meeting", meeting)}}, **_rest(body)}, extra
        else:
            assert codes(body) == ["BAD_USER_INPUT"], (extra, body)
            assert body["errors"][0]["extensions"]["field"] == "clientMutationId"
        assert await snapshot(engine) == before, extra


def _rest(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in ("data", "errors")}


async def test_R33_R20_the_cancel_notice_reaches_each_active_attendee_over_smtp(client, make, world, engine):
    """Delivered by the outbox worker to a real SMTP server: one message per active attendee,
    the reason and the local time in both parts; a deactivated attendee gets nothing."""
    meeting = await meeting_of(make, world)
    gone = await make.buyer(await make.company(await make.territory("East")), "Gone", direct_am=world.am)
    await make.attendee(meeting, gone)
    await make.execute(users.update().where(users.c.id == gone).values(active=False))
    server = SmtpServer()
    server.start()
    try:
        await client.data(
            CANCEL, {"id": gid("Meeting", meeting), "reason": "Trade fair moved"}, as_user=world.sc
        )
        await deliver_all(engine, worker(engine, server))
        assert server.recipients() == await _emails(engine, world.buyer, world.sibling)
        for address in server.recipients():
            (message,) = server.to(address)
            assert message["Subject"] == "Cancelled: Review"
            for part in ("plain", "html"):
                content = message.get_body((part,)).get_content()
                assert "Trade fair moved" in content and "2027-03-10 10:00 (Europe/Paris)" in content
    finally:
        server.stop()


async def test_R33_two_cancellations_at_once_cancel_once_and_notify_once(client, make, world, engine):
    meeting = await meeting_of(make, world)
    answers = await asyncio.gather(
        *(
            client.post(CANCEL, {"id": gid("Meeting", meeting), "reason": f"Reason {n}"}, as_user=viewer)
            for n, viewer in enumerate((world.am, world.sc))
        )
    )
    assert sorted(codes(a) for a in answers) == [[], ["CONFLICT"]], answers
    assert len(await outbox(engine, "MEETING_CANCELLED")) == 2  # one per attendee
    assert len(await audit(engine, "meeting.cancel", meeting)) == 1
