"""The reference iPad client (docs/sync-protocol.md): a real GraphQL client on `gql`, with its
HTTP and WebSocket transports, that the tests use as the app.

    ipad = IPad("http://127.0.0.1:8000/graphql")
    await ipad.sign_in("am@example.com", "…", device_name="Ann's iPad")
    await ipad.snapshot()                      # first start: cursor, then every page
    ipad.queue_note(meeting_id, "Wants the blue range")   # offline: queued with a number
    await ipad.sync()                          # send the queue, then follow the feed

A development and test tool: it is not part of the service's package.
"""

from ipad_client.client import IPad, Refused
from ipad_client.queue import Pending, Queue
from ipad_client.store import Store
from ipad_client.transport import Network, Offline

__all__ = ["IPad", "Network", "Offline", "Pending", "Queue", "Refused", "Store"]
