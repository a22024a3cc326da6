"""R26, R27: the Alembic migrations build exactly the tables the models describe, on both
databases, and seed the built-in roles with their default permissions (SPEC §1)."""

from __future__ import annotations

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
