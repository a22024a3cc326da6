"""R8, R20, R21: registration and decision emails and meeting summaries reach exactly the
people they are for over real SMTP (aiosmtpd on 127.0.0.1), are delivered once whatever fails,
and retry with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from html import escape

import pytest
import sqlalchemy as sa
from salescoord.db.tables import emails, meeting_attendees, users
from salescoord.permissions.enums import Channel

from salescoord.app import create_app
from salescoord.outbox.delivery import backoff_seconds
from salescoord.outbox.queue import claim_due, enqueue_email
from salescoord.settings import DeliverySettings, Settings
from tests.helpers import gid
from tests.registration_world import World, build_world
from tests.smtp import FAST, SmtpServer, deliver_all, statuses, worker
from tests.test_registrations import APPROVE, REGISTER, REJECT, application


@pytest.fixture
async def world(make) -> World:
    return await build_world(make)


@pytest.fixture
def smtp_down():
    """A port where nothing listens yet: `start()` brings SMTP up."""
    server = SmtpServer()
    try:
        yield server
    finally:
        server.stop()


async def emails_of(make, *user_ids: int) -> list[str]:
    async with make.engine.connect() as connection:
        rows = await connection.execute(sa.select(users.c.email).where(users.c.id.in_(user_ids)))
        return sorted(rows.scalars())


async def sign_up(client, engine, email: str, **kwargs) -> str:
    await client.data(REGISTER, application(email, **kwargs))
    async with engine.connect() as connection:
        pk = (
            await connection.execute(
                sa.text("SELECT id FROM registrations WHERE email = :e").bindparams(e=email)
            )
        ).scalar_one()
    return gid("Registration", pk)


NOTICE_AUDIENCES = [
    ("R8-direct-link-only", {"am": "am_direct"}, ["am_direct", "sc_direct"]),
    ("R8-territory-below-an-am", {"territory": "district"}, ["am_territory", "sc_territory"]),
    ("R8-territory-of-an-am", {"territory": "elsewhere"}, ["am_elsewhere", "sc_elsewhere"]),
    (
        "R8-both-links",
        {"am": "am_direct", "territory": "district"},
        ["am_direct", "sc_direct", "am_territory", "sc_territory"],
    ),
    ("R8-nobody-above-every-tree", {"territory": "region"}, []),
]


async def test_R8_a_new_registration_reaches_exactly_the_scs_and_ams_in_scope(
    client, engine, make, world, smtp
):
    await make.sc("SC of nobody")
    for n, (label, links, audience) in enumerate(NOTICE_AUDIENCES):
        smtp.messages.clear()
        applicant = f"applicant{n}@example.com"
        await sign_up(client, engine, applicant, **{k: getattr(world, v) for k, v in links.items()})
        await deliver_all(engine, worker(engine, smtp))
        expected = await emails_of(make, *(getattr(world, who) for who in audience))
        assert smtp.recipients() == expected, label
        for _, message in smtp.messages:
            assert message["Subject"] == "New registration: Ann Applicant (Applicant Ltd)"
            assert applicant in message.get_body(("plain",)).get_content()
            assert message.get_body(("html",)) is not None


async def test_R8_an_inactive_sc_gets_no_notice(client, engine, make, world, smtp):
    await make.execute(users.update().where(users.c.id == world.sc_direct).values(active=False))
    await sign_up(client, engine, "ann@example.com", am=world.am_direct)
    await deliver_all(engine, worker(engine, smtp))
    assert smtp.recipients() == await emails_of(make, world.am_direct)


async def test_R7_the_applicant_is_emailed_each_decision(client, engine, world, smtp):
    approved = await sign_up(client, engine, "ann@example.com", territory=world.district)
    rejected = await sign_up(client, engine, "bob@example.com", territory=world.district)
    await deliver_all(engine, worker(engine, smtp))
    smtp.messages.clear()
    await client.data(APPROVE, {"input": {"id": approved}}, as_user=world.sc_territory)
    await client.data(REJECT, {"id": rejected, "reason": "Not a retailer"}, as_user=world.am_territory)
    await deliver_all(engine, worker(engine, smtp))
    assert smtp.recipients() == ["ann@example.com", "bob@example.com"]
    (welcome,) = smtp.to("ann@example.com")
    assert welcome["Subject"] == "Your registration is approved"
    assert "/set-password?token=" in welcome.get_body(("plain",)).get_content()
    (refusal,) = smtp.to("bob@example.com")
    assert "Reason: Not a retailer" in refusal.get_body(("plain",)).get_content()


async def test_R20_smtp_down_then_up_delivers_every_email_exactly_once(client, engine, world, smtp_down):
    for n in range(6):
        await sign_up(
            client, engine, f"applicant{n}@example.com", am=world.am_direct, territory=world.district
        )
    one = worker(engine, smtp_down, DeliverySettings(**{**FAST.__dict__, "batch_size": 50}))
    for _ in range(3):  # several rounds fail to connect: nothing is lost, attempts are counted
        await one.deliver_due()
        await asyncio.sleep(FAST.retry_max_seconds)
    async with engine.connect() as connection:
        waiting = (await connection.execute(sa.select(emails))).all()
    assert len(waiting) == 24  # 6 registrations × (2 AMs + 2 SCs)
    assert {row.status for row in waiting} == {"PENDING"}
    assert min(row.attempts for row in waiting) >= 2
    assert all("connect" in row.last_error for row in waiting)
    smtp_down.start()
    await deliver_all(engine, one)
    assert len(smtp_down.messages) == 24
    ids = [message["Message-ID"].strip() for _, message in smtp_down.messages]
    assert len(set(ids)) == 24
    async with engine.connect() as connection:
        sent = (await connection.execute(sa.select(emails))).all()
    assert {row.status for row in sent} == {"SENT"}
    assert sorted(row.message_id for row in sent) == sorted(ids)


async def test_R20_two_workers_at_once_send_each_email_once(engine, backend, smtp):
    async with engine.begin() as connection:
        for n in range(60):
            await enqueue_email(
                connection, kind="TEST", to_address=f"r{n}@example.com", subject=f"n{n}", body_text="hi"
            )
    small_batches = DeliverySettings(**{**FAST.__dict__, "batch_size": 3})
    await deliver_all(engine, worker(engine, smtp, small_batches), worker(engine, smtp, small_batches))
    assert smtp.recipients() == sorted(f"r{n}@example.com" for n in range(60))
    assert await statuses(engine) == {"SENT": 60}


async def queue(engine, count: int) -> list[str]:
    addresses = [f"r{n}@example.com" for n in range(count)]
    async with engine.begin() as connection:
        for address in addresses:
            await enqueue_email(connection, kind="TEST", to_address=address, subject="s", body_text="b")
    return addresses


async def test_R20_a_server_slower_than_the_lease_for_a_batch_gets_each_email_once(engine, backend, smtp):
    """Eight emails, a second each, a 3 s lease, two workers with batches of ten: a batch
    claimed at once outlives its lease after three sends and the idle worker would send the
    rest again. Each email is claimed as it is sent, so each arrives once."""
    addresses = await queue(engine, 8)
    smtp.answer_after = 1.0
    slow = DeliverySettings(**{**FAST.__dict__, "batch_size": 10, "lease_seconds": 3})
    await deliver_all(engine, worker(engine, smtp, slow), worker(engine, smtp, slow), rounds=3000)
    assert smtp.recipients() == sorted(addresses)
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.select(emails.c.status, emails.c.attempts))).all()
    assert set(rows) == {("SENT", 1)}


async def test_R20_one_email_slower_than_its_lease_stays_with_the_worker_sending_it(engine, backend, smtp):
    """The lease is renewed while the email is sent (every fifth of it), so the other worker,
    polling all along, never takes it over."""
    addresses = await queue(engine, 1)
    smtp.answer_after = 4.0
    short_lease = DeliverySettings(**{**FAST.__dict__, "lease_seconds": 2})
    workers = worker(engine, smtp, short_lease), worker(engine, smtp, short_lease)
    # without renewal the two would take the email from each other for ever: bounded, 15x over
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(deliver_all(engine, *workers, rounds=3000), timeout=60)
    assert smtp.recipients() == addresses
    assert await statuses(engine) == {"SENT": 1}


async def test_R20_a_claim_takes_one_batch_and_open_claims_never_overlap(engine, backend):
    """PostgreSQL: a second claim while the first is still open skips its locked rows
    (SKIP LOCKED) instead of waiting or taking them; SQLite runs claims one after another."""
    async with engine.begin() as connection:
        for n in range(12):
            await enqueue_email(
                connection, kind="TEST", to_address=f"r{n}@example.com", subject="s", body_text="b"
            )
    if backend[0] == "postgresql":
        async with engine.connect() as first, engine.connect() as second:
            await first.begin()
            await second.begin()
            one = await claim_due(first, limit=5, lease_seconds=60)
            two = await claim_due(second, limit=5, lease_seconds=60)
            await first.commit()
            await second.commit()
    else:
        async with engine.begin() as connection:
            one = await claim_due(connection, limit=5, lease_seconds=60)
        async with engine.begin() as connection:
            two = await claim_due(connection, limit=5, lease_seconds=60)
    async with engine.begin() as connection:
        rest = await claim_due(connection, limit=5, lease_seconds=60)
    assert [len(one), len(two), len(rest)] == [5, 5, 2]
    assert len({row.id for row in (*one, *two, *rest)}) == 12
    assert await statuses(engine) == {"SENDING": 12}


async def test_R20_permanent_failure_is_recorded_and_temporary_one_retried(engine, smtp):
    smtp.refuse["gone@example.com"] = "550 5.1.1 No such user"
    smtp.refuse["busy@example.com"] = "451 4.3.0 Try again later"
    smtp.refuse_once["busy@example.com"] = True
    async with engine.begin() as connection:
        for address in ("gone@example.com", "busy@example.com", "fine@example.com"):
            await enqueue_email(connection, kind="TEST", to_address=address, subject="s", body_text="b")
    await deliver_all(engine, worker(engine, smtp))
    async with engine.connect() as connection:
        rows = {row.to_address: row for row in (await connection.execute(sa.select(emails))).all()}
    assert (rows["gone@example.com"].status, rows["gone@example.com"].attempts) == ("FAILED", 1)
    assert "550" in rows["gone@example.com"].last_error
    assert (rows["busy@example.com"].status, rows["busy@example.com"].attempts) == ("SENT", 2)
    assert (rows["fine@example.com"].status, rows["fine@example.com"].attempts) == ("SENT", 1)
    assert smtp.recipients() == ["busy@example.com", "fine@example.com"]


async def test_R20_a_claim_whose_worker_died_is_taken_over_after_its_lease(engine, smtp):
    async with engine.begin() as connection:
        await enqueue_email(connection, kind="TEST", to_address="a@example.com", subject="s", body_text="b")
    crashed = worker(engine, smtp, DeliverySettings(**{**FAST.__dict__, "lease_seconds": 0.05}))
    async with engine.begin() as connection:  # the claim of a worker that dies before sending
        (claimed,) = await claim_due(connection, limit=1, lease_seconds=0.05)
    assert await statuses(engine) == {"SENDING": 1}
    await asyncio.sleep(0.1)
    await deliver_all(engine, crashed)
    assert smtp.recipients() == ["a@example.com"]
    async with engine.connect() as connection:
        row = (await connection.execute(sa.select(emails))).one()
    assert (row.status, row.attempts) == ("SENT", claimed.attempts + 1)


def test_R20_backoff_doubles_up_to_its_cap():
    settings = DeliverySettings(
        poll_seconds=1,
        batch_size=1,
        retry_base_seconds=30,
        retry_max_seconds=3600,
        max_attempts=60,
        lease_seconds=1,
    )
    assert [backoff_seconds(n, settings) for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]


async def test_R20_the_server_delivers_the_outbox_from_its_lifespan(engine, settings, smtp, caplog):
    from salescoord.app import attach_engine

    async with engine.begin() as connection:
        await enqueue_email(connection, kind="TEST", to_address="a@example.com", subject="s", body_text="b")
    configured = Settings(
        database_url="unused", secret_keys=settings.secret_keys, smtp=smtp.settings, delivery=FAST
    )
    app = create_app(configured)
    attach_engine(app, engine)
    caplog.set_level(logging.INFO, logger="salescoord.delivery")
    async with app.router.lifespan_context(app):
        for _ in range(200):
            if smtp.messages:
                break
            await asyncio.sleep(0.02)
    assert smtp.recipients() == ["a@example.com"]
    assert any("SENT" in record.getMessage() for record in caplog.records)


# -- R21: a meeting summary as the attendees receive it -----------------------------------
START = 'mutation($id: ID!) { startMeeting(id: $id, clientMutationId: "start") { status } }'
IN_MEETING_NOTE = """mutation($id: ID!, $text: String!) {
  createNote(meetingId: $id, text: $text, shared: true, clientMutationId: "in-meeting") { phase } }"""
SUMMARY = """mutation($id: ID!) {
  sendMeetingSummary(meetingId: $id, clientMutationId: "summary-1") { id } }"""


async def test_R21_R13_the_summary_received_over_smtp_has_attendees_notes_and_items_in_both_parts(
    client, engine, make, smtp
):
    north = await make.territory("North")
    company = await make.company(north, "Northwind")
    am = await make.am("Alma Manager", territories=[north])
    sc = await make.sc("Sam Coordinator", ams=[am])
    ann = await make.buyer(company, "Ann Buyer", direct_am=am)
    bob = await make.buyer(company, "Bob Buyer")  # associated by territory
    meeting = await make.meeting(host=am, created_by=sc, title="Spring line")
    for buyer in (ann, bob):
        await make.execute(meeting_attendees.insert().values(meeting_id=meeting, buyer_id=buyer))
    await make.note(meeting, author=sc, text="Bring the spring samples", shared=True)
    await make.note(meeting, author=am, text="Margin is thin, do not discount")
    shown = await make.list(am, "BUYER", "For Ann", buyer=ann)
    await make.attach_list(meeting, shown)
    await make.item(shown, await make.content("Blue jacket"), 0, note="Size M <in stock>")
    await make.item(shown, await make.content("Red scarf"), 1)
    for_bob = await make.list(am, "BUYER", "For Bob", buyer=bob)
    await make.attach_list(meeting, for_bob)
    await make.item(for_bob, await make.content("Green hat"), 0, note="Bob's size")
    am_only = await make.list(am, "PERSONAL", "AM's own picks")
    await make.attach_list(meeting, am_only)
    await make.item(am_only, await make.content("Grey coat"), 0, note="Low margin")
    meeting_id = gid("Meeting", meeting)
    await client.data(START, {"id": meeting_id}, as_user=am, channel=Channel.APP)
    in_meeting = "Wants 40 units & a <b>volume</b> price"
    written = await client.data(
        IN_MEETING_NOTE, {"id": meeting_id, "text": in_meeting}, as_user=am, channel=Channel.APP
    )
    assert written["createNote"]["phase"] == "IN_MEETING"
    for _ in range(2):  # the app resends after a timeout: one summary, not two (R16)
        await client.data(SUMMARY, {"id": meeting_id}, as_user=am, channel=Channel.APP)

    await deliver_all(engine, worker(engine, smtp))

    (ann_email,), (bob_email,) = await emails_of(make, ann), await emails_of(make, bob)
    assert smtp.recipients() == sorted([ann_email, bob_email])  # one message to each attendee
    assert await statuses(engine) == {"SENT": 2}
    # R13: each attendee's summary carries the lists shared with them, nobody else's
    shared_with = {
        ann_email: ("[For Ann] Blue jacket", "Size M <in stock>", "[For Ann] Red scarf"),
        bob_email: ("[For Bob] Green hat", "Bob's size"),
    }
    for address, mine in shared_with.items():
        (message,) = smtp.to(address)
        assert message["Subject"] == "Summary: Spring line"
        assert message["To"] == address
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        others = [item for other, items in shared_with.items() if other != address for item in items]
        for part, encode in ((text, str), (html, escape)):
            for attendee in (ann_email, bob_email):
                assert encode(f"<{attendee}>") in part
            for expected in ("Ann Buyer", "Bob Buyer", "Bring the spring samples", in_meeting, *mine):
                assert encode(expected) in part, (expected, part)
            # not theirs (another buyer's list, the AM's own), or host-only
            for hidden in (*others, "Grey coat", "Low margin", "Margin is thin"):
                assert encode(hidden) not in part, (hidden, part)
        assert "<b>volume</b>" not in html  # a note's markup is text, not HTML
    # the item with a note carries it; the one without stands alone
    (ann_message,) = smtp.to(ann_email)
    lines = ann_message.get_body(("plain",)).get_content().splitlines()
    assert [line.split(")", 1)[1] for line in lines if line.startswith("- [For Ann]")] == [
        ": Size M <in stock>",
        "",
    ]


async def test_R21_an_attendee_deactivated_between_choosing_and_sending_gets_no_summary(engine, make):
    """The recipients are chosen before the sending transaction; one deactivated in between
    gets nothing (and breaks nothing), the others their summary."""
    from salescoord.db.queries.people import VIEWER_BY_ID, viewer_from_row
    from salescoord.db.tables import meetings

    from salescoord.outbox.summaries import attendees_named, send_summary

    north = await make.territory("North")
    company = await make.company(north)
    am = await make.am("Host", territories=[north])
    staying, leaving = await make.buyer(company, "Stays"), await make.buyer(company, "Leaves")
    meeting = await make.meeting(host=am)
    for buyer in (staying, leaving):
        await make.execute(meeting_attendees.insert().values(meeting_id=meeting, buyer_id=buyer))
    async with engine.connect() as connection:
        row = (await connection.execute(sa.select(meetings).where(meetings.c.id == meeting))).first()
        recipients = (await connection.execute(attendees_named(meeting, None))).all()
        host = viewer_from_row(
            (await connection.execute(VIEWER_BY_ID, {"viewer_id": am})).first(), Channel.WEB
        )
    await make.execute(users.update().where(users.c.id == leaving).values(active=False))
    async with engine.begin() as connection:
        sent = await send_summary(connection, host, row, recipients)
    async with engine.connect() as connection:
        to = (await connection.execute(sa.select(emails.c.to_address).where(emails.c.id.in_(sent)))).scalars()
        stays_at = (await connection.execute(sa.select(users.c.email).where(users.c.id == staying))).scalar()
        assert list(to) == [stays_at]
