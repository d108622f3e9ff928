"""A simulated network for chaos tests and benchmarks: a faulty HTTP proxy, a 2G link, a link that is cut.

All three run their own asyncio event loop in a background thread, so that a synchronous test (a kit
using httpx, a uvicorn server in another thread) can sit on either side::

    with FaultyProxy(upstream=("127.0.0.1", port), faults=FaultPlan.chaos(0.3), seed=7) as proxy:
        kit_sync(server_url=proxy.url)
        proxy.set_faults(FaultPlan())        # the network heals
        proxy.upstream = ("127.0.0.1", new_port)  # the server came back on another port

``FaultyProxy`` — what each fault imitates
-------------------------------------------

The proxy understands HTTP/1.1 just enough to act on whole messages: it reads a request (request
line, headers, a ``Content-Length`` or chunked body), forwards it to the upstream on a fresh
connection (``Connection: close`` upstream, so that no stale pooled connection can add a fault of
its own), reads the response (``Content-Length``, chunked, or delimited by the close) and returns
it on the client's connection, which stays open for the next request (keep-alive) unless the
client or the response asks otherwise. For each request one seeded draw picks at most one of the
exclusive faults below, with the probabilities of the ``FaultPlan``; the delay is drawn apart and
may come with any of them:

``drop_request``
    The request is read, never forwarded, and the client's connection is closed: the radio
    link died while the kit was sending. The server saw nothing; the kit gets an error.
``cut_request``
    The request head and only part of its body reach the server, then both connections close:
    an upload cut in the middle. The server sees a truncated request (it must not store half a
    part); the kit gets an error.
``drop_response``
    The request is forwarded whole, the server processes it and answers, and the client's
    connection is closed without the answer: the acknowledgement was lost. The server has the
    data, the kit does not know it and will send it again — the classic cause of duplicates.
``cut_response``
    Only part of the response (the head and part of the body) reaches the client, then the
    connection closes: the download died. The server processed the request.
``duplicate``
    The request is forwarded twice, at the same time on two connections, and the client gets
    the first answer once both are in: a retransmission by a middlebox, or a kit that retried
    while its first attempt was still in flight. The server must recognise the second copy.
``delay``
    The request waits a drawn number of seconds before it is forwarded: a slow link, a long
    radio wake-up. It exercises the kit's timeouts (a request that times out on the kit may
    still reach the server).

Decisions come from one ``random.Random(seed)`` drawn in the order the proxy reads requests: one
client sending requests one after the other sees the same faults on every run; concurrent
clients may interleave differently from run to run. When the upstream cannot be reached or fails
mid-answer the proxy answers ``502 Bad Gateway`` (``504`` after ``timeout_s``), as a real reverse
proxy would. Interim ``1xx`` responses are not passed on; protocol upgrades are not supported.

``ShapedLink`` — the link model
-------------------------------

A byte-stream (TCP-level) proxy that carries each connection's bytes through a model of one
radio link, ``LinkProfile`` (``LinkProfile.TWO_G``: 40 kbit/s, 300 ms round trip, 5 % loss):

* The bytes a side writes are cut into segments of at most ``mss`` payload bytes; each segment
  also costs ``header_bytes`` (TCP/IP headers, 40 bytes) on the link.
* Each direction is one serial pipe shared by all connections, as one radio link is: segments
  are transmitted one at a time, in the order they became ready; a transmission occupies the
  pipe for ``(payload + header_bytes) * 8 / bandwidth_bps`` seconds.
* A segment is delivered half the round-trip latency after its transmission ends.
* With probability ``loss`` (seeded, per transmission) the segment is lost. The sender notices
  by its retransmission timer only (no fast retransmit: at 2G the window holds about two
  segments, too few for three duplicate acknowledgements, so the timeout is the usual recovery),
  and the retransmission occupies the pipe again. Meanwhile the pipe carries later segments (a
  selective-repeat sender whose window is not the limit), but the receiver holds them back until
  the lost one arrives: head-of-line blocking, per connection.
* The retransmission timeout is Linux's: ``RTO = SRTT + max(4·RTTVAR, 200 ms)``, which on a link
  of constant latency is ``RTT + min_rto_s``, the RTT of a full segment being the latency plus its
  own transmission time. For 2G: 300 + 302 + 200 ≈ 800 ms, counted from the start of the
  transmission (the link is the bottleneck, so the sender's timer and the link's queue start
  together). RFC 6298's minimum of one second is the conservative alternative
  (``min_rto_s=1.0`` gives a comparable figure); Linux is what the server and most Android
  kits run. Each further loss of the same segment doubles its timeout (RFC 6298 §5.5).
* Opening a connection costs one round trip before the first byte may leave (the handshake).
* Reading from a side stops while more than ``buffer_bytes`` of its data are on the link and not
  delivered (the socket's send buffer): memory stays bounded and the writer feels back-pressure.

Not modelled: acknowledgements' share of the reverse bandwidth, congestion-window dynamics
(slow start after a timeout), jitter, and resets, which go through at once. The model runs in real
time (``time_scale`` > 1 runs it faster: bandwidth multiplied, delays divided; the counters stay in
model seconds — but the endpoints' own computing time then counts ``time_scale`` times over). Its
accounting is exact whatever the machine's load: each transmission starts when the pipe is free
in the model's own clock, not when the thread wakes up, and ``LinkStats`` reports the model's
times (``busy_up_s``, ``span_up_s``...), which tests can assert on without wall-clock noise.

``CuttableLink`` — a link that is cut and restored
--------------------------------------------------

A plain TCP proxy: bytes pass through unchanged both ways, so it fits any protocol, PostgreSQL's
included. ``cut()`` drops every connection open through it, both ways, and drops each new one as
soon as it is accepted, as a database that restarts does to its clients: they get an error at once
rather than hanging (a cut that swallows packets silently is the clients' timeouts' business, not
modelled here). ``restore()`` lets new connections through again; the connections cut stay dead,
so clients must open new ones, as after a real outage.

``raw_transfer_seconds(n, profile)`` is the floor the issue's benchmark ratio divides by: ``n``
bytes over the raw bandwidth, without headers, latency or loss.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import heapq
import itertools
import logging
import math
import random
import threading
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, fields
from types import TracebackType
from typing import Any, ClassVar, Literal, Self

__all__ = [
    "Address",
    "CutStats",
    "CuttableLink",
    "FaultPlan",
    "FaultyProxy",
    "LinkProfile",
    "LinkStats",
    "ProxyStats",
    "ShapedLink",
    "raw_transfer_seconds",
]

log = logging.getLogger(__name__)

Address = tuple[str, int]

_HEAD_LIMIT = 1 << 20  # the longest message head (request line and headers) the proxy reads
_READ_CHUNK = 1 << 16
_MAX_BACKOFF_RTO_S = 60.0


# --- The background loop ---------------------------------------------------------------------------------


class _LoopServer:
    """A TCP server on its own asyncio loop in a daemon thread; a context manager."""

    _thread_name = "civicid-test-network"

    def __init__(self, upstream: Address, host: str, port: int) -> None:
        self._upstream: Address = (upstream[0], int(upstream[1]))
        self._host = host
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._address: Address | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._lock = threading.Lock()

    @property
    def upstream(self) -> Address:
        """Where connections are forwarded; settable at any time (new connections and requests use it)."""
        return self._upstream

    @upstream.setter
    def upstream(self, value: Address) -> None:
        self._upstream = (value[0], int(value[1]))

    @property
    def address(self) -> Address:
        """The (host, port) the proxy listens on."""
        if self._address is None:
            raise RuntimeError("not started")
        return self._address

    @property
    def url(self) -> str:
        """``http://host:port`` of the proxy, for the clients."""
        host, port = self.address
        return f"http://{host}:{port}"

    def start(self) -> Self:
        """Start listening; returns once the port is bound."""
        if self._thread is not None:
            raise RuntimeError("already started")
        started: concurrent.futures.Future[Address] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._run, args=(started,), name=self._thread_name, daemon=True)
        self._thread.start()
        try:
            self._address = started.result(timeout=30)
        except BaseException:
            self._thread.join(timeout=5)
            self._thread = None
            raise
        return self

    def close(self) -> None:
        """Stop listening, close every connection and stop the thread. Idempotent."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        if thread.is_alive() and not loop.is_closed():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _run(self, started: concurrent.futures.Future[Address]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            try:
                server = loop.run_until_complete(self._open())
            except BaseException as exc:
                started.set_exception(exc)
                return
            sockname = server.sockets[0].getsockname()
            started.set_result((str(sockname[0]), int(sockname[1])))
            loop.run_forever()
        finally:
            with contextlib.suppress(Exception):
                pending = asyncio.all_tasks(loop)
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _open(self) -> asyncio.Server:
        await self._on_start()
        self._server = await asyncio.start_server(self._serve, self._host, self._port, limit=_HEAD_LIMIT)
        return self._server

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._on_stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except Exception:  # a connection's failure must never reach the loop
            log.debug("connection handler failed", exc_info=True)
        except asyncio.CancelledError:
            pass  # closing; ending the task normally keeps asyncio from reporting the cancellation as an error
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()

    async def _on_start(self) -> None:
        """Hook: runs on the loop before the server listens."""

    async def _on_stop(self) -> None:
        """Hook: runs on the loop when closing, after the connections are cancelled."""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


# --- HTTP messages ---------------------------------------------------------------------------------------


class _Malformed(Exception):
    """A message the proxy cannot frame."""


_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "upgrade", "transfer-encoding"})


@dataclass(frozen=True)
class _Head:
    start_line: str
    headers: tuple[tuple[str, str], ...]

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name]

    def tokens(self, name: str) -> list[str]:
        return [token.strip().lower() for value in self.values(name) for token in value.split(",") if token.strip()]

    def render(self, drop: Iterable[str] = (), add: Iterable[tuple[str, str]] = ()) -> bytes:
        dropped = {name.lower() for name in drop}
        lines = [self.start_line]
        lines += [f"{key}: {value}" for key, value in self.headers if key.lower() not in dropped]
        lines += [f"{key}: {value}" for key, value in add]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _parse_head(raw: bytes) -> _Head:
    lines = raw.decode("latin-1").split("\r\n")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        if line[0] in " \t":
            raise _Malformed("obsolete header line folding")
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise _Malformed(f"bad header line {line[:80]!r}")
        headers.append((name, value.strip()))
    return _Head(lines[0], tuple(headers))


async def _read_head(reader: asyncio.StreamReader) -> _Head | None:
    """The next message head, or None when the connection ends cleanly between messages."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise _Malformed("connection closed inside a message head") from exc
    except asyncio.LimitOverrunError as exc:
        raise _Malformed("message head too long") from exc
    return _parse_head(raw.lstrip(b"\r\n"))


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    """A chunked body as it is on the wire (sizes, data, trailers), so that it is forwarded unchanged."""
    parts: list[bytes] = []
    while True:
        line = await reader.readuntil(b"\r\n")
        parts.append(line)
        try:
            size = int(line[:-2].split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise _Malformed("bad chunk size") from exc
        if size < 0:
            raise _Malformed("bad chunk size")
        if size == 0:
            while True:
                trailer = await reader.readuntil(b"\r\n")
                parts.append(trailer)
                if trailer == b"\r\n":
                    return b"".join(parts)
        data = await reader.readexactly(size + 2)
        if data[-2:] != b"\r\n":
            raise _Malformed("chunk not followed by CRLF")
        parts.append(data)


def _content_length(head: _Head) -> int | None:
    values = {value.strip() for raw in head.values("content-length") for value in raw.split(",")}
    if not values:
        return None
    if len(values) != 1 or not next(iter(values)).isdigit():
        raise _Malformed("bad Content-Length")
    return int(next(iter(values)))


@dataclass(frozen=True)
class _Request:
    head: _Head
    method: str
    target: str
    body: bytes
    wants_close: bool

    def upstream_wire(self) -> tuple[bytes, bytes]:
        """The head and body to send upstream, on a connection used for this request only."""
        drop = set(_HOP_BY_HOP) | set(self.head.tokens("connection"))
        drop.discard("transfer-encoding")  # the body is forwarded as it came, chunked or not
        return self.head.render(drop=drop, add=[("Connection", "close")]), self.body


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    head = await _read_head(reader)
    if head is None:
        return None
    parts = head.start_line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[0].isalpha():
        raise _Malformed(f"bad request line {head.start_line[:80]!r}")
    method, target, version = parts
    codings = head.tokens("transfer-encoding")
    try:
        if codings:
            if codings[-1] != "chunked":
                raise _Malformed("request body without a length")
            body = await _read_chunked(reader)
        else:
            length = _content_length(head)
            body = await reader.readexactly(length) if length else b""
    except asyncio.IncompleteReadError as exc:
        raise _Malformed("connection closed inside a request body") from exc
    except asyncio.LimitOverrunError as exc:
        raise _Malformed("chunk line too long") from exc
    connection = head.tokens("connection")
    wants_close = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
    return _Request(head, method, target, body, wants_close)


@dataclass(frozen=True)
class _Response:
    head: _Head
    body: bytes
    close_delimited: bool  # the body ran to the connection's end: the client's connection must close after

    def wire(self, *, close: bool) -> tuple[bytes, bytes]:
        drop = (set(_HOP_BY_HOP) - {"transfer-encoding"}) | set(self.head.tokens("connection"))
        return self.head.render(drop=drop, add=[("Connection", "close")] if close else []), self.body


async def _read_response(reader: asyncio.StreamReader, method: str) -> _Response:
    while True:
        head = await _read_head(reader)
        if head is None:
            raise ConnectionError("upstream closed the connection without a response")
        parts = head.start_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise _Malformed(f"bad status line {head.start_line[:80]!r}")
        status = int(parts[1])
        if 100 <= status < 200 and status != 101:
            continue  # interim responses are not passed on
        break
    if method == "HEAD" or status < 200 or status in (204, 304):
        return _Response(head, b"", close_delimited=status == 101)
    codings = head.tokens("transfer-encoding")
    if codings and codings[-1] == "chunked":
        return _Response(head, await _read_chunked(reader), close_delimited=False)
    length = None if codings else _content_length(head)
    if length is not None:
        return _Response(head, await reader.readexactly(length), close_delimited=False)
    return _Response(head, await reader.read(), close_delimited=True)


def _error_response(status: int, reason: str, message: str) -> bytes:
    body = message.encode()
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
    head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    return head.encode("latin-1") + body


# --- The faulty proxy ------------------------------------------------------------------------------------

_FaultKind = Literal["drop_request", "cut_request", "drop_response", "cut_response", "duplicate"]
_FAULT_KINDS: tuple[_FaultKind, ...] = ("drop_request", "cut_request", "drop_response", "cut_response", "duplicate")


@dataclass(frozen=True)
class FaultPlan:
    """The probabilities, per request, of each fault; ``FaultPlan()`` is a healthy network.

    The five exclusive faults (their probabilities add up to at most 1) and the delay are
    described in the module's docstring. ``delay`` is the (low, high) range of seconds drawn
    uniformly, applied to a request with probability ``delay_rate``. ``paths``: path prefixes the
    plan applies to (``("/api/v1/intake",)``); empty applies it to every request.
    """

    drop_request: float = 0.0
    cut_request: float = 0.0
    drop_response: float = 0.0
    cut_response: float = 0.0
    duplicate: float = 0.0
    delay: tuple[float, float] = (0.0, 0.0)
    delay_rate: float = 1.0
    paths: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in (*_FAULT_KINDS, "delay_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability, got {value}")
        if sum(getattr(self, name) for name in _FAULT_KINDS) > 1.0 + 1e-9:
            raise ValueError("the probabilities of the exclusive faults add up to more than 1")
        low, high = self.delay
        if not 0.0 <= low <= high:
            raise ValueError(f"delay must be a range (low, high) with 0 <= low <= high, got {self.delay}")

    @classmethod
    def chaos(cls, rate: float = 0.3, max_delay_s: float = 0.2, paths: tuple[str, ...] = ()) -> FaultPlan:
        """Each of the five faults with probability ``rate / 5``, and a delay up to ``max_delay_s``."""
        share = rate / len(_FAULT_KINDS)
        return cls(share, share, share, share, share, delay=(0.0, max_delay_s), paths=paths)

    def applies_to(self, target: str) -> bool:
        """Whether the plan applies to a request for ``target`` (its path and query)."""
        return not self.paths or any(target.startswith(prefix) for prefix in self.paths)

    def pick(self, draw: float) -> _FaultKind | None:
        """The fault a uniform draw in [0, 1) falls on, if any."""
        bound = 0.0
        for kind in _FAULT_KINDS:
            bound += getattr(self, kind)
            if draw < bound:
                return kind
        return None


@dataclass(frozen=True)
class ProxyStats:
    """What a ``FaultyProxy`` did since it started (or since ``reset_stats``)."""

    connections: int = 0  # client connections accepted
    requests: int = 0  # complete requests read from clients
    forwarded: int = 0  # requests sent upstream, whole or cut (a duplicate counts twice)
    responses: int = 0  # complete responses returned to clients, the proxy's own errors included
    dropped_requests: int = 0
    cut_requests: int = 0
    dropped_responses: int = 0
    cut_responses: int = 0
    duplicates: int = 0
    delays: int = 0
    delay_s: float = 0.0  # total seconds of delay added
    upstream_errors: int = 0  # upstream unreachable, failed or too slow: answered 502 or 504
    client_errors: int = 0  # malformed requests (answered 400), clients gone mid-request, idle ones timed out

    @property
    def faults(self) -> int:
        """The exclusive faults applied (delays not counted)."""
        return self.dropped_requests + self.cut_requests + self.dropped_responses + self.cut_responses + self.duplicates


_FAULT_COUNTER: dict[_FaultKind, str] = {
    "drop_request": "dropped_requests",
    "cut_request": "cut_requests",
    "drop_response": "dropped_responses",
    "cut_response": "cut_responses",
    "duplicate": "duplicates",
}


class _Counters:
    """Counters written on the loop's thread and read from others."""

    def __init__(self, names: Iterable[str]) -> None:
        self._names = tuple(names)
        self._lock = threading.Lock()
        self._values: dict[str, float] = dict.fromkeys(self._names, 0)

    def add(self, name: str, amount: float = 1) -> None:
        with self._lock:
            self._values[name] += amount

    def set_min(self, name: str, value: float) -> None:
        with self._lock:
            current = self._values[name]
            self._values[name] = value if current == 0 else min(current, value)

    def set_max(self, name: str, value: float) -> None:
        with self._lock:
            self._values[name] = max(self._values[name], value)

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return dict(self._values)

    def reset(self) -> None:
        with self._lock:
            self._values = dict.fromkeys(self._names, 0)


class FaultyProxy(_LoopServer):
    """An HTTP/1.1 reverse proxy that drops, cuts, delays and duplicates requests and responses.

    ``upstream`` is the server's (host, port); ``faults`` the initial plan (healthy by default);
    ``seed`` seeds the draws; ``timeout_s`` bounds the wait for a client's next request and for
    the upstream's answer. See the module's docstring for what each fault does.
    """

    _thread_name = "civicid-faulty-proxy"

    def __init__(
        self,
        upstream: Address,
        faults: FaultPlan | None = None,
        *,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        timeout_s: float = 300.0,
    ) -> None:
        super().__init__(upstream, host, port)
        self._faults = faults or FaultPlan()
        self._rng = random.Random(seed)
        self._timeout_s = timeout_s
        self._counters = _Counters(field.name for field in fields(ProxyStats))

    @property
    def faults(self) -> FaultPlan:
        """The plan in force."""
        return self._faults

    def set_faults(self, plan: FaultPlan) -> None:
        """Change the plan for the requests read from now on; ``FaultPlan()`` heals the network."""
        self._faults = plan

    @property
    def stats(self) -> ProxyStats:
        """A snapshot of the counters."""
        values = self._counters.snapshot()
        return ProxyStats(**{name: (value if name == "delay_s" else int(value)) for name, value in values.items()})  # type: ignore[arg-type]

    def reset_stats(self) -> None:
        """Set every counter back to zero."""
        self._counters.reset()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._counters.add("connections")
        while True:
            try:
                request = await asyncio.wait_for(_read_request(reader), self._timeout_s)
            except _Malformed as exc:
                self._counters.add("client_errors")
                with contextlib.suppress(ConnectionError):
                    writer.write(_error_response(400, "Bad Request", str(exc)))
                    await writer.drain()
                return
            except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
                self._counters.add("client_errors")
                return
            if request is None:
                return
            self._counters.add("requests")
            try:
                keep_open = await self._exchange(request, writer)
            except ConnectionError:  # the client went away while the proxy answered
                self._counters.add("client_errors")
                return
            if not keep_open:
                return

    async def _exchange(self, request: _Request, writer: asyncio.StreamWriter) -> bool:
        """Carry one request and its response; whether the client's connection stays open."""
        plan = self._faults
        # Always four draws per request, so that the stream does not depend on the plan.
        pick, delay_draw, delay_amount, cut_draw = (self._rng.random() for _ in range(4))
        applies = plan.applies_to(request.target)
        fault = plan.pick(pick) if applies else None
        low, high = plan.delay
        if applies and high > 0 and delay_draw < plan.delay_rate:
            delay = low + (high - low) * delay_amount
            self._counters.add("delays")
            self._counters.add("delay_s", delay)
            await asyncio.sleep(delay)
        if fault is not None:
            self._counters.add(_FAULT_COUNTER[fault])
        upstream = self._upstream
        if fault == "drop_request":
            return False
        if fault == "cut_request":
            await self._send_cut(request, upstream, cut_draw)
            return False
        if fault == "duplicate":
            first, _second = await asyncio.gather(
                self._forward(request, upstream), self._forward(request, upstream), return_exceptions=True
            )
            response: _Response | BaseException = first
        else:
            response = await self._forward_catching(request, upstream)
        if isinstance(response, BaseException):
            if isinstance(response, asyncio.CancelledError):
                raise response
            self._counters.add("upstream_errors")
            timed_out = isinstance(response, TimeoutError)
            status, reason = (504, "Gateway Timeout") if timed_out else (502, "Bad Gateway")
            self._counters.add("responses")
            writer.write(_error_response(status, reason, f"upstream {upstream[0]}:{upstream[1]}: {response!r}"))
            await writer.drain()
            return False
        if fault == "drop_response":
            return False
        close = request.wants_close or response.close_delimited
        head, body = response.wire(close=close)
        if fault == "cut_response":
            cut = len(head) + int(cut_draw * len(body)) if body else max(1, int(cut_draw * len(head)))
            writer.write((head + body)[:cut])
            await writer.drain()
            return False
        self._counters.add("responses")  # counted first: a test reads the counters once its client has the answer
        writer.write(head + body)
        await writer.drain()
        return not close

    async def _forward_catching(self, request: _Request, upstream: Address) -> _Response | BaseException:
        try:
            return await self._forward(request, upstream)
        except Exception as exc:
            return exc

    async def _forward(self, request: _Request, upstream: Address) -> _Response:
        return await asyncio.wait_for(self._roundtrip(request, upstream), self._timeout_s)

    async def _roundtrip(self, request: _Request, upstream: Address) -> _Response:
        reader, writer = await asyncio.open_connection(*upstream, limit=_HEAD_LIMIT)
        try:
            head, body = request.upstream_wire()
            writer.write(head + body)
            self._counters.add("forwarded")
            await writer.drain()
            try:
                return await _read_response(reader, request.method)
            except asyncio.IncompleteReadError as exc:
                raise ConnectionError("upstream closed the connection inside its response") from exc
        finally:
            writer.transport.abort()

    async def _send_cut(self, request: _Request, upstream: Address, draw: float) -> None:
        head, body = request.upstream_wire()
        cut = len(head) + int(draw * len(body)) if body else max(1, int(draw * len(head)))
        try:
            _reader, writer = await asyncio.open_connection(*upstream)
        except OSError:
            return
        try:
            writer.write((head + body)[:cut])
            self._counters.add("forwarded")
            await writer.drain()
            await asyncio.sleep(0.01)  # let the partial request reach the server before the close
        except ConnectionError:
            pass
        finally:
            writer.close()


# --- The shaped link -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkProfile:
    """A radio link: bandwidth per direction, round-trip latency, segment loss, segment size.

    ``min_rto_s`` is the floor Linux adds to the smoothed RTT in its retransmission timeout (see
    the module's docstring); ``header_bytes`` what each segment costs on the link beyond its payload.
    """

    bandwidth_bps: float = 40_000.0
    latency_s: float = 0.300
    loss: float = 0.05
    mss: int = 1460
    min_rto_s: float = 0.200
    header_bytes: int = 40

    TWO_G: ClassVar[LinkProfile]

    def __post_init__(self) -> None:
        if self.bandwidth_bps <= 0:
            raise ValueError("bandwidth_bps must be positive")
        if self.latency_s < 0 or self.min_rto_s < 0 or self.header_bytes < 0:
            raise ValueError("latency_s, min_rto_s and header_bytes must not be negative")
        if not 0.0 <= self.loss < 1.0:
            raise ValueError("loss must be in [0, 1)")
        if self.mss < 1:
            raise ValueError("mss must be at least 1")

    @property
    def one_way_s(self) -> float:
        """Half the round trip: from a segment's last bit sent to its delivery."""
        return self.latency_s / 2

    def segment_seconds(self, payload: int) -> float:
        """How long one segment of ``payload`` bytes occupies the pipe."""
        return (payload + self.header_bytes) * 8 / self.bandwidth_bps

    @property
    def rto_s(self) -> float:
        """The first retransmission timeout: RTT of a full segment plus ``min_rto_s`` (Linux's)."""
        return self.latency_s + self.segment_seconds(self.mss) + self.min_rto_s

    def transfer_seconds(self, nbytes: int) -> float:
        """The model's time for ``nbytes`` sent at once in one direction on an idle link, without loss."""
        segments = math.ceil(nbytes / self.mss)
        return (nbytes + segments * self.header_bytes) * 8 / self.bandwidth_bps + self.one_way_s


LinkProfile.TWO_G = LinkProfile()


def raw_transfer_seconds(nbytes: int, profile: LinkProfile) -> float:
    """``nbytes`` over the link's raw bandwidth: the floor the benchmark's ratio is measured against."""
    return nbytes * 8 / profile.bandwidth_bps


@dataclass(frozen=True)
class LinkStats:
    """What a ``ShapedLink`` carried; times are the model's seconds. Up is client to upstream."""

    connections: int = 0
    bytes_up: int = 0  # payload bytes delivered upstream
    bytes_down: int = 0  # payload bytes delivered to the clients
    segments_up: int = 0  # transmissions, retransmissions included
    segments_down: int = 0
    segments_lost: int = 0  # transmissions lost (each one retransmitted), both directions
    segments_lost_up: int = 0
    segments_lost_down: int = 0
    busy_up_s: float = 0.0  # time the pipe spent transmitting
    busy_down_s: float = 0.0
    span_up_s: float = 0.0  # from the first segment ready to the last delivery, in that direction
    span_down_s: float = 0.0

    @property
    def loss_rate(self) -> float:
        """Lost transmissions over all transmissions."""
        sent = self.segments_up + self.segments_down
        return self.segments_lost / sent if sent else 0.0


_Direction = Literal["up", "down"]


@dataclass(eq=False)
class _Segment:
    flow: _Flow
    number: int
    data: bytes
    fin: bool
    attempts: int = 0


class _Connection:
    def __init__(self) -> None:
        self.dead = False
        self.done = asyncio.Event()
        self.flows: list[_Flow] = []
        self.writers: list[asyncio.StreamWriter] = []

    def abort(self) -> None:
        """Reset both sides at once (resets are not delayed by the model)."""
        if self.dead:
            return
        self.dead = True
        for writer in self.writers:
            writer.transport.abort()
        for flow in self.flows:
            flow.writable.set()
        self.done.set()

    def check_done(self) -> None:
        if all(flow.fin_delivered for flow in self.flows):
            self.done.set()


class _Flow:
    """One direction of one connection: numbering, in-order delivery, back-pressure."""

    def __init__(
        self, link: ShapedLink, pipe: _Pipe, dest: asyncio.StreamWriter, conn: _Connection, not_before: float
    ) -> None:
        self.link = link
        self.pipe = pipe
        self.dest = dest
        self.conn = conn
        self.not_before = not_before
        self.next_number = 0
        self.next_delivery = 0
        self.held: dict[int, _Segment] = {}
        self.pending = 0
        self.writable = asyncio.Event()
        self.writable.set()
        self.fin_delivered = False

    def _push(self, data: bytes, *, fin: bool) -> None:
        segment = _Segment(self, self.next_number, data, fin)
        self.next_number += 1
        self.pending += len(data)
        ready = max(asyncio.get_running_loop().time(), self.not_before)
        self.link._counters.set_min(f"first_{self.pipe.direction}", ready)
        self.pipe.push(segment, ready)

    def send(self, data: bytes) -> None:
        mss = self.link.profile.mss
        for offset in range(0, len(data), mss):
            self._push(data[offset : offset + mss], fin=False)

    def send_fin(self) -> None:
        self._push(b"", fin=True)

    async def wait_writable(self) -> None:
        while self.pending > self.link._buffer_bytes and not self.conn.dead:
            self.writable.clear()
            await self.writable.wait()

    def deliver(self, segment: _Segment) -> None:
        if self.conn.dead:
            return
        self.held[segment.number] = segment
        direction = self.pipe.direction
        try:
            while self.next_delivery in self.held:
                ready = self.held.pop(self.next_delivery)
                self.next_delivery += 1
                if self.dest.transport.is_closing():
                    self.conn.abort()
                    return
                if ready.fin:
                    if self.dest.can_write_eof():
                        self.dest.write_eof()
                    self.fin_delivered = True
                    self.conn.check_done()
                else:
                    # Counted before the write: a reader on another thread that has the bytes sees them counted.
                    self.link._counters.add(f"bytes_{direction}", len(ready.data))
                    self.pending -= len(ready.data)
                    self.dest.write(ready.data)
        except OSError:
            self.conn.abort()
            return
        self.link._counters.set_max(f"last_{direction}", asyncio.get_running_loop().time())
        if self.pending <= self.link._buffer_bytes:
            self.writable.set()


class _Pipe:
    """One direction of the radio link: a serial transmitter shared by every connection."""

    def __init__(self, link: ShapedLink, direction: _Direction, rng: random.Random) -> None:
        self.link = link
        self.direction: _Direction = direction
        self.rng = rng
        self.queue: list[tuple[float, int, _Segment]] = []
        self.order = itertools.count()
        self.free_at = 0.0
        self.wake = asyncio.Event()

    def push(self, segment: _Segment, ready: float) -> None:
        heapq.heappush(self.queue, (ready, next(self.order), segment))
        self.wake.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        link = self.link
        counters = link._counters
        while True:
            if not self.queue:
                self.wake.clear()
                await self.wake.wait()
                continue
            ready, _, segment = self.queue[0]
            start = max(self.free_at, ready)
            now = loop.time()
            if start > now + 0.0005:
                self.wake.clear()  # a segment ready sooner may come while waiting
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), start - now)
                continue
            heapq.heappop(self.queue)
            if segment.flow.conn.dead:
                continue
            duration = link._segment_seconds(len(segment.data))
            end = start + duration
            self.free_at = end
            counters.add(f"segments_{self.direction}")
            counters.add(f"busy_{self.direction}_s", duration * link.time_scale)
            if self.rng.random() < link.profile.loss:
                counters.add("segments_lost")
                counters.add(f"segments_lost_{self.direction}")
                timeout = min(link._rto * 2**segment.attempts, _MAX_BACKOFF_RTO_S / link.time_scale)
                segment.attempts += 1
                self.push(segment, start + timeout)
            else:
                loop.call_at(end + link._one_way, segment.flow.deliver, segment)
            if end > loop.time():
                await asyncio.sleep(end - loop.time())


class ShapedLink(_LoopServer):
    """A TCP proxy whose traffic, both ways, goes through the ``LinkProfile`` model (module docstring).

    ``seed`` seeds the losses; ``buffer_bytes`` is each side's send buffer on the link;
    ``time_scale`` runs the model that many times faster than real time.
    """

    _thread_name = "civicid-shaped-link"

    def __init__(
        self,
        upstream: Address,
        profile: LinkProfile = LinkProfile.TWO_G,
        *,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        buffer_bytes: int = 64 * 1024,
        time_scale: float = 1.0,
    ) -> None:
        super().__init__(upstream, host, port)
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.profile = profile
        self.time_scale = time_scale
        self._buffer_bytes = buffer_bytes
        self._seed = seed
        self._one_way = profile.one_way_s / time_scale
        self._rto = profile.rto_s / time_scale
        self._handshake = profile.latency_s / time_scale
        self._pipes: dict[_Direction, _Pipe] = {}
        self._pipe_tasks: list[asyncio.Task[None]] = []
        counter_names = [f.name for f in fields(LinkStats) if not f.name.startswith("span_")]
        self._counters = _Counters([*counter_names, "first_up", "first_down", "last_up", "last_down"])

    def _segment_seconds(self, payload: int) -> float:
        return self.profile.segment_seconds(payload) / self.time_scale

    @property
    def stats(self) -> LinkStats:
        """A snapshot of the counters."""
        values = self._counters.snapshot()
        spans = {}
        for direction in ("up", "down"):
            first, last = values.pop(f"first_{direction}"), values.pop(f"last_{direction}")
            spans[f"span_{direction}_s"] = max(0.0, last - first) * self.time_scale if first and last else 0.0
        counts = {name: (value if name.startswith("busy_") else int(value)) for name, value in values.items()}
        return LinkStats(**counts, **spans)  # type: ignore[arg-type]

    def reset_stats(self) -> None:
        """Set every counter back to zero (do it while the link is idle, spans would mix otherwise)."""
        self._counters.reset()

    async def _on_start(self) -> None:
        directions: tuple[tuple[_Direction, int], ...] = (("up", 1), ("down", 2))
        for direction, salt in directions:
            pipe = _Pipe(self, direction, random.Random(self._seed * 2 + salt))
            self._pipes[direction] = pipe
            self._pipe_tasks.append(asyncio.create_task(pipe.run()))

    async def _on_stop(self) -> None:
        for task in self._pipe_tasks:
            task.cancel()
        await asyncio.gather(*self._pipe_tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted = asyncio.get_running_loop().time()
        self._counters.add("connections")
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        except OSError:
            writer.transport.abort()
            return
        conn = _Connection()
        conn.writers = [up_writer, writer]
        not_before = accepted + self._handshake
        up = _Flow(self, self._pipes["up"], up_writer, conn, not_before)
        down = _Flow(self, self._pipes["down"], writer, conn, not_before)
        conn.flows = [up, down]
        pumps = [asyncio.create_task(self._pump(reader, up)), asyncio.create_task(self._pump(up_reader, down))]
        try:
            await conn.done.wait()
        finally:
            # Synchronous clean-up first: a second cancellation (the link closing) may interrupt the await below.
            for pump in pumps:
                pump.cancel()
            if conn.dead:
                up_writer.transport.abort()
            else:
                conn.dead = True  # segments still queued for this connection are dropped
                up_writer.close()
            await asyncio.gather(*pumps, return_exceptions=True)

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, flow: _Flow) -> None:
        try:
            while True:
                data = await reader.read(_READ_CHUNK)
                if not data:
                    flow.send_fin()
                    return
                flow.send(data)
                await flow.wait_writable()
        except OSError:
            flow.conn.abort()


# --- A link that is cut and restored ----------------------------------------------------------------------


@dataclass(frozen=True)
class CutStats:
    """Connections passed through, and connections a cut dropped: open ones, and new ones refused."""

    connections: int = 0
    dropped: int = 0
    refused: int = 0


class CuttableLink(_LoopServer):
    """A TCP proxy to ``upstream`` that :meth:`cut` severs and :meth:`restore` mends (module docstring)."""

    _thread_name = "civicid-cuttable-link"

    def __init__(self, upstream: Address, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(upstream, host, port)
        self._is_cut = False
        self._connections: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._counters = _Counters(field.name for field in fields(CutStats))

    @property
    def is_cut(self) -> bool:
        return self._is_cut

    @property
    def stats(self) -> CutStats:
        """A snapshot of the counters."""
        return CutStats(**{name: int(value) for name, value in self._counters.snapshot().items()})

    def cut(self) -> None:
        """Drop every open connection and refuse new ones, until :meth:`restore`; returns once done."""
        self._on_loop(self._cut())

    def restore(self) -> None:
        """Let new connections through again."""
        self._on_loop(self._restore())

    def _on_loop(self, step: Coroutine[Any, Any, None]) -> None:
        if self._loop is None:
            step.close()
            raise RuntimeError("not started")
        asyncio.run_coroutine_threadsafe(step, self._loop).result(timeout=10)

    async def _cut(self) -> None:
        self._is_cut = True
        for client, server in list(self._connections):
            self._counters.add("dropped")
            client.transport.abort()
            server.transport.abort()
        self._connections.clear()

    async def _restore(self) -> None:
        self._is_cut = False

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._is_cut:
            self._counters.add("refused")
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        except OSError:
            writer.transport.abort()
            return
        self._counters.add("connections")
        pair = (writer, up_writer)
        self._connections.add(pair)
        pumps = [asyncio.create_task(_pipe(reader, up_writer)), asyncio.create_task(_pipe(up_reader, writer))]
        try:
            # Either side closing ends the connection (PostgreSQL's client says Terminate, then closes).
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._connections.discard(pair)
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            up_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(_READ_CHUNK):
            writer.write(data)
            await writer.drain()
