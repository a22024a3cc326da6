"""`salescoord`: serve, migrate, load demo data, create users, export the schema.

salescoord migrate
salescoord demo --scale 1 --if-empty
salescoord users create --email admin@example.com --name Admin --role ADMIN
salescoord serve --host 127.0.0.1 --port 8000 --workers 1 [--welcome]
salescoord worker          # deliver the email outbox over SMTP (SMTP_URL)
salescoord schema > schema.graphql
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from salescoord.permissions.enums import RoleName


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="salescoord", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve GraphQL (and GraphiQL) over HTTP")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 1)))
    serve.add_argument("--no-migrate", action="store_true", help="do not migrate on start")
    serve.add_argument(
        "--welcome", action="store_true", help="once serving, print GraphiQL's address and the demo logins"
    )

    commands.add_parser("migrate", help="bring the database to the newest schema")

    worker = commands.add_parser("worker", help="deliver the email outbox over SMTP until stopped")
    worker.add_argument("--once", action="store_true", help="one round of delivery, then exit")

    demo = commands.add_parser("demo", help="load the deterministic demo data set")
    demo.add_argument("--scale", type=int, default=1)
    demo.add_argument("--if-empty", action="store_true", help="only into a database without users")

    users = commands.add_parser("users", help="manage users").add_subparsers(
        dest="users_command", required=True
    )
    create = users.add_parser("create", help="create a user (bootstraps the first admin)")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=[r.value for r in RoleName], default=RoleName.ADMIN.value)
    create.add_argument("--password", help="prompted for when omitted")

    commands.add_parser("schema", help="print the GraphQL schema (SDL)")

    args = parser.parse_args(argv)
    if args.command == "schema":
        from salescoord.schema.root import schema

        sys.stdout.write(schema.as_str() + "\n")
        return 0

    from salescoord.settings import Settings

    settings = Settings()
    if args.command == "migrate":
        from salescoord.db.migrate import upgrade

        upgrade(settings.database_url)
        print("database is current")
        return 0
    if args.command == "demo":
        from salescoord.demo import load_demo

        loaded = asyncio.run(load_demo(settings.database_url, args.scale, only_if_empty=args.if_empty))
        print("demo data loaded" if loaded else "database has users already; demo data not loaded")
        return 0
    if args.command == "users":
        return asyncio.run(_create_user(settings, args))
    if args.command == "worker":
        return asyncio.run(_deliver(settings, once=args.once))
    if args.command == "serve":
        import uvicorn

        from salescoord.logs import configure_logging
        from salescoord.socket_limits import server_options

        level = os.environ.get("LOG_LEVEL", "info")
        os.environ["SALESCOORD_JSON_LOGS"] = "1"  # worker processes configure themselves from it
        configure_logging(level)

        if not args.no_migrate:
            from salescoord.db.migrate import upgrade

            upgrade(settings.database_url)
        if args.welcome:
            from salescoord.welcome import announce_when_ready

            announce_when_ready(args.host, args.port)
        uvicorn.run(
            "salescoord.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers if args.workers > 1 else None,
            log_level=level.lower(),
            log_config=None,
            **server_options(settings),
        )
        return 0
    return 2


async def _deliver(settings: object, *, once: bool) -> int:
    """The outbox worker as a process of its own; any number may run at once (R20)."""
    import logging
    import signal

    from salescoord.db.session import create_engine
    from salescoord.outbox.delivery import DeliveryWorker

    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "info").upper(), format="%(asctime)s %(name)s %(message)s"
    )
    if settings.smtp is None:
        print("error: no SMTP configured: set SMTP_URL or SMTP_HOST", file=sys.stderr)
        return 2
    engine = create_engine(settings.database_url)
    worker = DeliveryWorker(engine, settings.smtp, settings.delivery, signing=settings)
    try:
        if once:
            print(f"claimed {await worker.deliver_due()} emails")
            return 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await worker.run(stop)
        return 0
    finally:
        await engine.dispose()


async def _create_user(settings: object, args: argparse.Namespace) -> int:
    from salescoord.db.migrate import upgrade_async
    from salescoord.db.models.people import USER_NAME_LENGTH
    from salescoord.db.queries.people import create_user
    from salescoord.db.session import create_engine
    from salescoord.errors import ServiceError
    from salescoord.passwords import hash_password
    from salescoord.resolvers import inputs

    password = args.password or getpass.getpass("password: ")
    try:
        values = {
            "email": inputs.email(args.email),
            "name": inputs.text(args.name, "name", USER_NAME_LENGTH),
            "role": args.role,
            "password_hash": hash_password(inputs.password(password)),
        }
    except ServiceError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    await upgrade_async(settings.database_url)  # the first admin may come before anything else (R26)
    engine = create_engine(settings.database_url)
    try:
        async with engine.begin() as connection:
            user_id = await create_user(connection, None, values)
    except ServiceError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    print(f"created user {user_id} ({values['email']}, {args.role})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
