"""R26, R27: the Alembic migrations build exactly the tables the models describe, on both
databases, and seed the built-in roles with their default permissions (SPEC §1)."""

from __future__ import annotations

import pytest
import salescoord.db.models  # noqa: F401
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from salescoord.db.tables import roles
from salescoord.permissions.enums import DEFAULT_PERMISSIONS
from sqlmodel import SQLModel


async def test_R27_migrated_schema_equals_the_models(engine):
    def differences(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_R26_migration_seeds_built_in_roles(engine):
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.select(roles.c.name, roles.c.permissions))).all()
    assert {name: frozenset(p) for name, p in rows} == {
        role.value: frozenset(p.value for p in permissions)
        for role, permissions in DEFAULT_PERMISSIONS.items()
    }


async def test_ids_are_never_reused_after_a_delete(engine):
    """Global ids outlive their rows on clients (the iPad syncs by them): a deleted row's id
    must not come back, which SQLite does unless told otherwise."""
    from salescoord.db.models.base import utcnow
    from salescoord.db.tables import contents

    row = {"title": "t", "kind": "PRODUCT", "reference": "SKU-1", "created_at": utcnow()}
    async with engine.begin() as connection:
        first = (await connection.execute(contents.insert().values(**row).returning(contents.c.id))).scalar()
        await connection.execute(contents.delete().where(contents.c.id == first))
        second = (await connection.execute(contents.insert().values(**row).returning(contents.c.id))).scalar()
    assert second > first


async def test_R18_R31_revision_0010_up_down_and_up_keeps_rows_and_triggers(empty_database):
    """Client ids and the change log's `op`: upgrading keeps every row (a note's old client id
    too) and writes nothing to the feed; the triggers then log attendees and the catalogue with
    their operation; downgrading gives back the earlier triggers and the notes' unique client id."""
    import asyncio

    from alembic import command
    from alembic.script import ScriptDirectory
    from salescoord.db.migrate import alembic_config
    from salescoord.db.models.base import utcnow
    from salescoord.db.session import create_engine
    from sqlalchemy.exc import IntegrityError

    config = alembic_config(empty_database)
    before = ScriptDirectory.from_config(config).get_revision("0010").down_revision
    await asyncio.to_thread(command.upgrade, config, before)
    engine = create_engine(empty_database)
    now = utcnow()

    async def run(sql: str, **values) -> list:
        async with engine.begin() as connection:
            result = await connection.execute(sa.text(sql), {"now": now, **values})
            return result.all() if result.returns_rows else []

    async def log() -> list[tuple]:
        return [tuple(row) for row in await run("SELECT entity, entity_id FROM change_log ORDER BY id")]

    try:
        for n, role in ((1, "ACCOUNT_MANAGER"), (2, "BUYER")):
            await run(
                "INSERT INTO users (id, email, name, role, active, created_at, updated_at) "
                f"VALUES ({n}, 'u{n}@example.com', 'U{n}', '{role}', TRUE, :now, :now)"
            )
        await run(
            "INSERT INTO meetings (id, host_id, created_by_id, title, starts_at, ends_at, status, version,"
            " created_at, updated_at) VALUES (1, 1, 1, 'M', :now, :now, 'SCHEDULED', 1, :now, :now)"
        )
        note = (
            "INSERT INTO notes (meeting_id, author_id, phase, shared, text, client_id, version, created_at,"
            " updated_at) VALUES (1, :author, 'PRE_MEETING', FALSE, 'n', :client, 1, :now, :now)"
        )
        await run(note, author=1, client="legacy-1")
        logged = await log()
        await asyncio.to_thread(command.upgrade, config, "0010")
        assert await log() == logged  # the upgrade itself is not a change
        assert await run("SELECT client_id FROM notes") == [("legacy-1",)]
        await run(
            "INSERT INTO contents (id, title, kind, reference, created_at)"
            " VALUES (1, 'C', 'PRODUCT', 'S', :now)"
        )
        await run("INSERT INTO meeting_attendees (meeting_id, buyer_id) VALUES (1, 2)")
        await run("UPDATE notes SET text = 'm'")
        rows = await run(
            "SELECT entity, entity_id, meeting_id, op FROM change_log WHERE id > :last ORDER BY id",
            last=len(logged),
        )
        assert [tuple(row) for row in rows] == [
            ("CONTENT", 1, None, "INSERT"),
            ("MEETING", 1, None, "UPDATE"),
            ("ATTENDEE", 2, 1, "INSERT"),
            ("NOTE", 1, 1, "UPDATE"),
        ]
        with pytest.raises(IntegrityError):  # unique per writer now
            await run(note, author=1, client="legacy-1")
        await run(note, author=2, client="legacy-1")  # another writer's may be the same
        await run("DELETE FROM notes WHERE author_id = 2")

        await asyncio.to_thread(command.downgrade, config, before)
        logged = await log()
        await run("DELETE FROM meeting_attendees")
        await run("DELETE FROM contents")
        assert (await log())[len(logged) :] == [("MEETING", 1)]  # attendees as before, no catalogue
        with pytest.raises(IntegrityError):  # notes.client_id unique over every writer again
            await run(note, author=2, client="legacy-1")
        await asyncio.to_thread(command.upgrade, config, "head")
    finally:
        await engine.dispose()
