"""Set-password links leave the outbox (R32): an email holds a placeholder and the account's id,
and the delivery worker writes the link in when it sends the email.

Upgrade: adds `emails.set_password_user_id`. Every stored email whose bodies hold a
set-password link has the link replaced by the placeholder; an email not sent yet (PENDING,
SENDING) keeps the account its link was for, read from the token's subject, so the buyer
still receives a working link, now signed at sending. Emails sent or failed keep only the
placeholder: their links were delivered or never will be, and no reader needs them.

Downgrade: drops the column; the links removed are not restored (they were keys to accounts).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

import base64
import json
import re

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# the text of salescoord.password_links.PLACEHOLDER when this revision was written
PLACEHOLDER = "[set-password link: written in when the email is sent]"
LINK = re.compile(r"https?://[^\s<>\"']*/set-password\?token=([A-Za-z0-9_.-]+)")
EMAILS = sa.table(
    "emails",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("body_text", sa.String),
    sa.column("body_html", sa.String),
    sa.column("set_password_user_id", sa.Integer),
)
USERS = sa.table("users", sa.column("id", sa.Integer))


def _subject(token: str) -> int | None:
    """The account a link was for: the `sub` of the token's payload (our own token, so its
    signature needs no checking to learn whom it names)."""
    try:
        payload = token.split(".")[1]
        return int(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])
    except (IndexError, KeyError, TypeError, ValueError):
        return None


def upgrade() -> None:
    with op.batch_alter_table("emails", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column("set_password_user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_emails_set_password_user_id_users", "users", ["set_password_user_id"], ["id"]
        )
    connection = op.get_bind()
    holding_links = sa.select(EMAILS).where(
        sa.or_(
            EMAILS.c.body_text.like("%/set-password?token=%"),
            EMAILS.c.body_html.like("%/set-password?token=%"),
        )
    )
    for row in connection.execute(holding_links).all():
        match = LINK.search(row.body_text) or LINK.search(row.body_html or "")
        account = _subject(match.group(1)) if match and row.status in ("PENDING", "SENDING") else None
        if (
            account is not None
            and connection.execute(sa.select(USERS.c.id).where(USERS.c.id == account)).first() is None
        ):
            account = None
        connection.execute(
            EMAILS.update()
            .where(EMAILS.c.id == row.id)
            .values(
                body_text=LINK.sub(PLACEHOLDER, row.body_text),
                body_html=LINK.sub(PLACEHOLDER, row.body_html) if row.body_html is not None else None,
                set_password_user_id=account,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("emails", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_constraint("fk_emails_set_password_user_id_users", type_="foreignkey")
        batch_op.drop_column("set_password_user_id")
