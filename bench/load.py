"""A small keep-alive HTTP/1.1 client and the two measurements: latency at one client,
throughput at eight. Hand-rolled on asyncio streams so the load generator costs little
next to the server it measures (it runs on the other core)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson


class HttpConnection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, payload: Any, token: str) -> tuple[dict[str, str], Any]:
        body = orjson.dumps(payload)
        head = (
            f"POST {path} HTTP/1.1\r\nhost: {self.host}\r\ncontent-type: application/json\r\n"
            f"authorization: Bearer {token}\r\ncontent-length: {len(body)}\r\n\r\n"
        )
        return await self._exchange(head.encode() + body)

    async def get(self, path: str) -> tuple[dict[str, str], Any]:
        return await self._exchange(f"GET {path} HTTP/1.1\r\nhost: {self.host}\r\n\r\n".encode())

    async def _exchange(self, request: bytes) -> tuple[dict[str, str], Any]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(request)
        status_and_headers = await self.reader.readuntil(b"\r\n\r\n")
        lines = status_and_headers.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 200"):
            raise RuntimeError(f"{lines[0]}")
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        else:  # chunked
            data = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                data += chunk[:-2]
        return headers, orjson.loads(data)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


Operation = Callable[[HttpConnection], Awaitable[Any]]


@dataclass
class Measurement:
    per_second: float
    p50_ms: float
    p99_ms: float
    samples: int


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def latency(
    host: str, port: int, operation: Operation, seconds: float, limit: int = 2000
) -> list[float]:
    connection = HttpConnection(host, port)
    timings: list[float] = []
    try:
        await operation(connection)  # warm up
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline and len(timings) < limit:
            started = time.perf_counter()
            await operation(connection)
            timings.append(time.perf_counter() - started)
    finally:
        connection.close()
    return timings


async def throughput(host: str, port: int, operation: Operation, seconds: float, clients: int = 8) -> float:
    """Closed loop: `clients` connections each run the operation back to back until the
    deadline; every operation begun before it is counted, and so is the time it took."""
    connections = [HttpConnection(host, port) for _ in range(clients)]
    await operation(connections[0])  # warm up once; the other connections open on first use
    done = 0
    began = time.perf_counter()
    deadline = began + seconds

    async def client(connection: HttpConnection) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await operation(connection)
            done += 1

    await asyncio.gather(*(client(c) for c in connections))
    elapsed = time.perf_counter() - began
    for c in connections:
        c.close()
    return done / elapsed


async def measure(host: str, port: int, operation: Operation, seconds: float) -> Measurement:
    timings = await latency(host, port, operation, seconds)
    rate = await throughput(host, port, operation, seconds)
    return Measurement(
        rate, _percentile(timings, 0.5) * 1000, _percentile(timings, 0.99) * 1000, len(timings)
    )
