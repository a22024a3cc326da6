"""What `make run` ends with: where GraphiQL answers and who can sign in there, printed once the
server answers, after uvicorn's own start-up lines, so it is the last thing on the screen.

    announce_when_ready("127.0.0.1", 8000)  # a thread; prints when /healthz answers
"""

from __future__ import annotations

import sys
import threading
import time
import urllib.error
import urllib.request

from salescoord.demo import DEMO_LOGINS, DEMO_PASSWORD


def welcome_text(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    width = max(len(role) for role, _, _ in DEMO_LOGINS)
    logins = [
        f"  {role:<{width}}  {email}" + (f"  ({note})" if note else "") for role, email, note in DEMO_LOGINS
    ]
    return "\n".join(
        [
            "",
            f"GraphiQL: http://{shown}:{port}/graphql  (sign in with the key button)",
            f"Demo logins, each with the password {DEMO_PASSWORD} (`salescoord demo`):",
            *logins,
            "Ctrl-C stops the server.",
            "",
        ]
    )


def announce_when_ready(host: str, port: int, *, within_seconds: float = 120) -> threading.Thread:
    """Polls /healthz from a thread of its own (the server's event loop is not touched) and
    prints the welcome once it answers; says nothing if the server never does."""

    def wait_and_print() -> None:
        probe = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        url = f"http://{probe}:{port}/healthz"
        deadline = time.monotonic() + within_seconds
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=1):
                    print(welcome_text(host, port), file=sys.stdout, flush=True)
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)

    thread = threading.Thread(target=wait_and_print, name="welcome", daemon=True)
    thread.start()
    return thread
