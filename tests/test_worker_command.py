"""R20: `salescoord worker` delivers the outbox as a process of its own, and refuses to start
without SMTP settings. About the command, not the database: SQLite only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from salescoord.db.migrate import upgrade_async
from salescoord.db.models.base import utcnow
from salescoord.db.tables import emails

from tests.smtp import SmtpServer


def worker(tmp_path: Path, url: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": url, "SALESCOORD_DATA_DIR": str(tmp_path), **env}
    for name in ("SMTP_URL", "SMTP_HOST"):
        if name not in env:
            environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "salescoord.cli", "worker", "--once"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_R20_the_worker_command_delivers_the_outbox(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'salescoord.db'}"
    await upgrade_async(url)
    engine = sa.create_engine(url.replace("+aiosqlite", ""))
    with engine.begin() as connection:
        connection.execute(
            emails.insert().values(
                kind="TEST",
                to_address="ann@example.com",
                subject="Hello",
                body_text="Hi",
                status="PENDING",
                attempts=0,
                next_attempt_at=utcnow(),
                created_at=utcnow(),
            )
        )
    server = SmtpServer()
    server.start()
    try:
        done = worker(tmp_path, url, SMTP_URL=f"smtp://127.0.0.1:{server.port}")
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr
    assert "claimed 1 emails" in done.stdout
    assert server.recipients() == ["ann@example.com"]
    assert "SENT, attempt 1, Message-ID <" in done.stderr  # the delivery log line
    with engine.connect() as connection:
        status, message_id = connection.execute(sa.select(emails.c.status, emails.c.message_id)).one()
    engine.dispose()
    assert status == "SENT"
    assert message_id == server.messages[0][1]["Message-ID"].strip()


def test_R20_the_worker_command_needs_smtp(tmp_path):
    done = worker(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'salescoord.db'}")
    assert done.returncode == 2
    assert "no SMTP configured" in done.stderr
