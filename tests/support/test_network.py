"""The simulated network: every fault of the proxy is applied and seen by an httpx client; the link keeps its model."""

from __future__ import annotations

import contextlib
import hashlib
import math
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import uvicorn
from tests.support.network import (
    CutStats,
    CuttableLink,
    FaultPlan,
    FaultyProxy,
    LinkProfile,
    ShapedLink,
    raw_transfer_seconds,
)

# --- A tiny upstream -------------------------------------------------------------------------------------


@dataclass
class Received:
    """What the upstream saw: complete requests, and bodies cut short."""

    complete: list[tuple[str, str, bytes]] = field(default_factory=list)
    incomplete: list[tuple[str, int, int]] = field(default_factory=list)  # path, bytes read, bytes announced
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bodies(self, path: str) -> list[bytes]:
        with self.lock:
            return [body for _, p, body in self.complete if p == path]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes: no delayed-ACK stall between them
    server: _Upstream

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if len(body) < length:
            with self.server.received.lock:
                self.server.received.incomplete.append((self.path, len(body), length))
            self.close_connection = True
            return None
        return body

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {"Content-Length": str(len(body))}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._record(b"")
        if self.path.startswith("/big"):
            self._send(200, b"x" * int(self.path.split("=")[1]))
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b"hello ", b"chunked ", b"world"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/until-close":
            self.close_connection = True
            self._send(200, b"read me until the end", {"Content-Type": "text/plain"})
        else:
            self._send(200, f"GET {self.path}".encode())

    def do_POST(self) -> None:
        body = self._body()
        if body is None:
            return
        self._record(body)
        self._send(201, hashlib.sha256(body).hexdigest().encode())

    def _record(self, body: bytes) -> None:
        with self.server.received.lock:
            self.server.received.complete.append((self.command, self.path, body))


class _Upstream(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received = Received()
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.server_address[1])

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


@pytest.fixture
def upstream() -> Iterator[_Upstream]:
    server = _Upstream()
    yield server
    server.stop()


def _wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def _client(proxy: FaultyProxy) -> httpx.Client:
    return httpx.Client(base_url=proxy.url, timeout=10)


# --- FaultyProxy: a healthy network ----------------------------------------------------------------------


def test_a_healthy_proxy_passes_requests_through_on_one_kept_alive_connection(upstream: _Upstream) -> None:
    with FaultyProxy(upstream.address) as proxy, _client(proxy) as client:
        assert client.get("/hello").text == "GET /hello"
        posted = client.post("/store", content=b"payload")
        assert posted.status_code == 201
        assert posted.text == hashlib.sha256(b"payload").hexdigest()
        assert client.get("/big?n=300000").content == b"x" * 300_000
        stats = proxy.stats
    assert upstream.received.bodies("/store") == [b"payload"]
    assert (stats.connections, stats.requests, stats.forwarded, stats.responses) == (1, 3, 3, 3)
    assert stats.faults == 0


def test_chunked_and_close_delimited_bodies_and_chunked_uploads_are_relayed(upstream: _Upstream) -> None:
    with FaultyProxy(upstream.address) as proxy, _client(proxy) as client:
        assert client.get("/chunked").content == b"hello chunked world"
        assert client.get("/until-close").content == b"read me until the end"
        streamed = client.post("/store", content=iter([b"part one, ", b"part two"]))  # no length: chunked
        assert streamed.status_code == 201
        assert client.get("/after").text == "GET /after"
        assert proxy.stats.connections == 2  # the close-delimited body ended the first connection
    assert upstream.received.bodies("/store") == [b"part one, part two"]


def test_the_upstream_can_move_and_an_unreachable_one_is_a_502(upstream: _Upstream) -> None:
    with FaultyProxy(upstream.address) as proxy, _client(proxy) as client:
        assert client.get("/before").status_code == 200
        upstream.stop()
        down = client.get("/during")
        assert down.status_code == 502
        restarted = _Upstream()
        try:
            proxy.upstream = restarted.address
            assert client.get("/after").text == "GET /after"
        finally:
            restarted.stop()
        assert proxy.stats.upstream_errors == 1


# --- FaultyProxy: each fault -----------------------------------------------------------------------------


def test_a_dropped_request_never_reaches_the_server(upstream: _Upstream) -> None:
    with FaultyProxy(upstream.address, FaultPlan(drop_request=1.0)) as proxy, _client(proxy) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/store", content=b"lost")
        stats = proxy.stats
    assert upstream.received.complete == []
    assert (stats.dropped_requests, stats.forwarded, stats.responses) == (1, 0, 0)


def test_a_cut_request_reaches_the_server_truncated(upstream: _Upstream) -> None:
    body = random.Random(1).randbytes(20_000)
    with FaultyProxy(upstream.address, FaultPlan(cut_request=1.0), seed=3) as proxy, _client(proxy) as client:
        with pytest.raises(httpx.TransportError):
            client.post("/store", content=body)
        assert proxy.stats.cut_requests == 1
    _wait_until(lambda: bool(upstream.received.incomplete))
    path, read, announced = upstream.received.incomplete[0]
    assert (path, announced) == ("/store", 20_000)
    assert 0 <= read < 20_000
    assert upstream.received.complete == []


def test_a_dropped_response_leaves_the_request_processed_and_a_retry_duplicates_it(upstream: _Upstream) -> None:
    with FaultyProxy(upstream.address, FaultPlan(drop_response=1.0)) as proxy, _client(proxy) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/store", content=b"once")
        assert upstream.received.bodies("/store") == [b"once"]  # the server has it; the client does not know
        proxy.set_faults(FaultPlan())  # the network heals, the client retries
        assert client.post("/store", content=b"once").status_code == 201
        stats = proxy.stats
    assert upstream.received.bodies("/store") == [b"once", b"once"]
    assert (stats.dropped_responses, stats.forwarded, stats.responses) == (1, 2, 1)


def test_a_cut_response_is_an_incomplete_body_for_the_client(upstream: _Upstream) -> None:
    with FaultyProxy(upstream.address, FaultPlan(cut_response=1.0), seed=5) as proxy, _client(proxy) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/big?n=50000")
        assert proxy.stats.cut_responses == 1
    assert len(upstream.received.complete) == 1  # the server answered


def test_a_duplicated_request_reaches_the_server_twice_and_the_client_once(upstream: _Upstream) -> None:
    with FaultyProxy(upstream.address, FaultPlan(duplicate=1.0)) as proxy, _client(proxy) as client:
        response = client.post("/store", content=b"twice")
        assert response.status_code == 201
        assert response.text == hashlib.sha256(b"twice").hexdigest()
        stats = proxy.stats
    assert upstream.received.bodies("/store") == [b"twice", b"twice"]
    assert (stats.duplicates, stats.forwarded, stats.responses) == (1, 2, 1)


def test_a_delay_holds_the_request_back(upstream: _Upstream) -> None:
    with FaultyProxy(upstream.address, FaultPlan(delay=(0.25, 0.25))) as proxy, _client(proxy) as client:
        started = time.monotonic()
        assert client.get("/slow").status_code == 200
        assert time.monotonic() - started >= 0.25  # a lower bound: never flaky
        stats = proxy.stats
    assert stats.delays == 1
    assert stats.delay_s == pytest.approx(0.25)


def test_a_plan_limited_to_paths_leaves_the_others_alone(upstream: _Upstream) -> None:
    plan = FaultPlan(drop_request=1.0, paths=("/api/sync",))
    with FaultyProxy(upstream.address, plan) as proxy, _client(proxy) as client:
        assert client.get("/api/status").status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/api/sync?cursor=3")
        assert proxy.stats.dropped_requests == 1


def test_fault_plans_are_validated() -> None:
    with pytest.raises(ValueError, match="more than 1"):
        FaultPlan(drop_request=0.6, duplicate=0.6)
    with pytest.raises(ValueError, match="probability"):
        FaultPlan(cut_response=-0.1)
    with pytest.raises(ValueError, match="range"):
        FaultPlan(delay=(0.5, 0.1))
    chaos = FaultPlan.chaos(0.5, max_delay_s=0.1)
    assert chaos.drop_request == chaos.duplicate == pytest.approx(0.1)
    assert chaos.delay == (0.0, 0.1)


def _run_mix(address: tuple[str, int], seed: int, n: int) -> tuple[list[str], Any]:
    outcomes = []
    with FaultyProxy(address, FaultPlan.chaos(0.6, max_delay_s=0.002), seed=seed) as proxy, _client(proxy) as client:
        for i in range(n):
            try:
                outcomes.append(str(client.post(f"/mix/{i}", content=b"m" * 2000).status_code))
            except httpx.TransportError as exc:
                outcomes.append(type(exc).__name__)
        return outcomes, proxy.stats


def test_a_seeded_mix_applies_every_fault_at_its_rate_and_replays_identically(upstream: _Upstream) -> None:
    n = 100
    outcomes, stats = _run_mix(upstream.address, seed=11, n=n)
    again, stats_again = _run_mix(upstream.address, seed=11, n=n)
    assert outcomes == again
    assert (stats.dropped_requests, stats.cut_requests, stats.duplicates) == (
        stats_again.dropped_requests,
        stats_again.cut_requests,
        stats_again.duplicates,
    )
    kinds = [stats.dropped_requests, stats.cut_requests, stats.dropped_responses, stats.cut_responses, stats.duplicates]
    # Each kind has probability 0.12: about 12 of 100, outside [3, 25] with a chance under 1 in 1000.
    assert all(3 <= count <= 25 for count in kinds), kinds
    failures = stats.dropped_requests + stats.cut_requests + stats.dropped_responses + stats.cut_responses
    assert sum(outcome != "201" for outcome in outcomes) == failures
    assert stats.requests == n
    assert stats.delays > 0


# --- FaultyProxy: robustness -----------------------------------------------------------------------------


def _raw(address: tuple[str, int], data: bytes, *, read: bool) -> bytes:
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(data)
        if not read:
            return b""
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_misbehaving_clients_never_break_the_proxy(upstream: _Upstream) -> None:
    with FaultyProxy(upstream.address, FaultPlan(delay=(0.2, 0.2), paths=("/slow",))) as proxy:
        address = proxy.address
        socket.create_connection(address, timeout=5).close()  # connects and leaves
        _raw(address, b"GET /half HTTP/1.1\r\nHost: x\r\n", read=False)  # leaves inside the head
        _raw(address, b"POST /store HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nshort", read=False)
        assert _raw(address, b"NOT HTTP AT ALL\r\n\r\n", read=True).startswith(b"HTTP/1.1 400 ")
        assert _raw(address, b"GET / HTTP/1.1\r\nBad Header\r\n\r\n", read=True).startswith(b"HTTP/1.1 400 ")
        _raw(address, b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", read=False)  # leaves before its answer
        with _client(proxy) as client:
            assert client.get("/still-fine").text == "GET /still-fine"
        _wait_until(lambda: proxy.stats.client_errors >= 4)
        _wait_until(lambda: len(upstream.received.complete) == 2)  # /slow reached the server all the same


def test_many_concurrent_clients_each_keep_their_connection(upstream: _Upstream) -> None:
    errors: list[BaseException] = []

    def kit(number: int) -> None:
        try:
            with _client(proxy) as client:
                for i in range(5):
                    body = f"kit {number} capture {i}".encode()
                    assert client.post(f"/kit/{number}", content=body).text == hashlib.sha256(body).hexdigest()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    with FaultyProxy(upstream.address) as proxy:
        threads = [threading.Thread(target=kit, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        stats = proxy.stats
    assert errors == []
    assert (stats.connections, stats.requests, stats.responses) == (8, 40, 40)


def test_the_proxy_speaks_to_uvicorn() -> None:
    seen: list[bytes] = []

    async def app(scope: dict[str, Any], receive: Callable[[], Any], send: Callable[[dict[str, Any]], Any]) -> None:
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        seen.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"stored " + body})

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    _wait_until(lambda: server.started)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        with FaultyProxy(("127.0.0.1", port), FaultPlan(duplicate=1.0)) as proxy, _client(proxy) as client:
            assert client.post("/intake", content=b"packet").text == "stored packet"
            proxy.set_faults(FaultPlan())
            assert client.post("/intake", content=b"next").text == "stored next"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert seen == [b"packet", b"packet", b"next"]


# --- ShapedLink --------------------------------------------------------------------------------------------

FAST = LinkProfile(bandwidth_bps=2_000_000, latency_s=0.020, loss=0.0)


class _TcpServer:
    """A threaded TCP server: ``sink`` answers how many bytes came before the end; ``echo`` sends them back."""

    def __init__(self, mode: str) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = ("127.0.0.1", self.listener.getsockname()[1])
        self.mode = mode
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            total = 0
            while chunk := conn.recv(65536):
                total += len(chunk)
                if self.mode == "echo":
                    conn.sendall(chunk)
            if self.mode == "sink":
                conn.sendall(b"%d" % total)

    def stop(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self.listener.close()


@pytest.fixture
def sink() -> Iterator[_TcpServer]:
    server = _TcpServer("sink")
    yield server
    server.stop()


@pytest.fixture
def echo() -> Iterator[_TcpServer]:
    server = _TcpServer("echo")
    yield server
    server.stop()


def _upload(address: tuple[str, int], payload: bytes) -> bytes:
    with socket.create_connection(address, timeout=30) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
        return reply


def test_the_profile_and_the_raw_floor() -> None:
    two_g = LinkProfile.TWO_G
    assert (two_g.bandwidth_bps, two_g.latency_s, two_g.loss, two_g.mss) == (40_000, 0.300, 0.05, 1460)
    assert raw_transfer_seconds(5_000, two_g) == pytest.approx(1.0)
    assert two_g.rto_s == pytest.approx(0.300 + 1500 * 8 / 40_000 + 0.200)
    assert two_g.transfer_seconds(1460) == pytest.approx(0.3 + 0.15)
    with pytest.raises(ValueError, match="loss"):
        LinkProfile(loss=1.0)


def test_a_transfer_takes_the_models_time(sink: _TcpServer) -> None:
    payload = random.Random(2).randbytes(100_000)
    with ShapedLink(sink.address, FAST, seed=1) as link:
        started = time.monotonic()
        assert _upload(link.address, payload) == b"100000"
        elapsed = time.monotonic() - started
        _wait_until(lambda: link.stats.bytes_down == 6)
        stats = link.stats
    predicted = FAST.transfer_seconds(len(payload))  # 0.42 s of transmission and 10 ms one way
    assert stats.bytes_up == len(payload)
    assert stats.segments_lost == 0
    # The model's own clock: every transmission accounted exactly (a read that ended mid-segment
    # makes one more, shorter segment, so count them rather than assume full ones).
    data_segments = stats.segments_up - 1  # the FIN carries no data
    assert data_segments >= math.ceil(len(payload) / FAST.mss)
    exact = (len(payload) + stats.segments_up * FAST.header_bytes) * 8 / FAST.bandwidth_bps
    assert stats.busy_up_s == pytest.approx(exact, rel=1e-9)
    assert stats.busy_up_s >= raw_transfer_seconds(len(payload), FAST)
    # From the first segment to the last delivery: the prediction, unless the sender itself lagged
    # behind the link (a loaded machine), which can only add idle time.
    assert predicted * 0.999 <= stats.span_up_s <= predicted * 1.5
    # Wall clock: never faster than the model (handshake, upload, answer), generous above.
    assert elapsed >= FAST.latency_s + predicted + FAST.one_way_s
    assert elapsed < predicted + 10


def test_connections_share_one_pipe(sink: _TcpServer) -> None:
    payload = b"s" * 60_000
    with ShapedLink(sink.address, FAST) as link:
        threads = [threading.Thread(target=_upload, args=(link.address, payload)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        stats = link.stats
    assert (stats.connections, stats.bytes_up) == (3, 180_000)
    alone = FAST.transfer_seconds(len(payload))
    # Three at once take three times as long as one: the bandwidth is shared, not multiplied.
    assert stats.span_up_s >= 0.95 * FAST.transfer_seconds(3 * len(payload)) > 2.5 * alone


def test_loss_is_applied_at_its_rate_and_the_data_arrives_intact_and_in_order(echo: _TcpServer) -> None:
    lossy = LinkProfile(bandwidth_bps=20_000_000, latency_s=0.004, loss=0.10, min_rto_s=0.002)
    payload = random.Random(3).randbytes(1_500_000)
    received = bytearray()
    with ShapedLink(echo.address, lossy, seed=4) as link, socket.create_connection(link.address, timeout=30) as sock:

        def send() -> None:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=send)
        sender.start()
        while chunk := sock.recv(65536):
            received += chunk
        sender.join(timeout=30)
        stats = link.stats
    assert hashlib.sha256(received).digest() == hashlib.sha256(payload).digest()
    assert stats.bytes_up == stats.bytes_down == len(payload)
    transmissions = stats.segments_up + stats.segments_down
    assert transmissions >= 2 * math.ceil(len(payload) / lossy.mss)
    # Binomial(transmissions, 0.1): five standard deviations either side.
    margin = 5 * math.sqrt(transmissions * 0.1 * 0.9)
    assert abs(stats.segments_lost - 0.1 * transmissions) < margin, (stats.segments_lost, transmissions)
    assert stats.loss_rate == pytest.approx(stats.segments_lost / transmissions)


def test_a_lost_segment_costs_a_retransmission_timeout_and_holds_the_others_back(sink: _TcpServer) -> None:
    lossy = LinkProfile(bandwidth_bps=2_000_000, latency_s=0.010, loss=0.5, mss=1000, min_rto_s=0.050)
    seed = 0  # the up pipe's first draw loses the first segment, whatever the reads' sizes
    with ShapedLink(sink.address, lossy, seed=seed) as link:
        assert _upload(link.address, b"r" * 3_000) == b"3000"
        _wait_until(lambda: link.stats.bytes_down == 4)
        stats = link.stats
    assert stats.segments_lost_up > 0
    assert stats.segments_lost == stats.segments_lost_up + stats.segments_lost_down
    assert stats.segments_up >= 3 + 1 + stats.segments_lost_up  # the data, the FIN, the retransmissions
    # The first segment came a timeout late, and the two behind it waited for it (head of line).
    assert stats.span_up_s >= lossy.rto_s + lossy.segment_seconds(1000) + lossy.one_way_s
    assert stats.span_up_s > 3 * lossy.transfer_seconds(3_000)


def test_http_over_the_link_pays_the_round_trips(upstream: _Upstream) -> None:
    profile = LinkProfile(bandwidth_bps=4_000_000, latency_s=0.050, loss=0.0)
    with ShapedLink(upstream.address, profile) as link, httpx.Client(base_url=link.url, timeout=10) as client:
        started = time.monotonic()
        assert client.get("/big?n=20000").content == b"x" * 20_000
        elapsed = time.monotonic() - started
        stats = link.stats
    assert elapsed >= 2 * profile.latency_s  # the handshake, then the request and its answer
    assert stats.bytes_down > 20_000
    assert 0 < stats.bytes_up < 1_000


def test_time_scale_runs_the_model_faster_and_reports_model_seconds(sink: _TcpServer) -> None:
    with ShapedLink(sink.address, LinkProfile(loss=0.0), time_scale=20) as link:
        started = time.monotonic()
        assert _upload(link.address, b"t" * 10_000) == b"10000"
        elapsed = time.monotonic() - started
        stats = link.stats
    predicted = LinkProfile.TWO_G.transfer_seconds(10_000)  # about 2.2 s of 2G
    exact = (10_000 + stats.segments_up * 40) * 8 / 40_000
    assert stats.busy_up_s == pytest.approx(exact, rel=1e-9)  # model seconds, not real ones
    assert predicted * 0.999 <= stats.span_up_s <= predicted * 1.5
    assert elapsed < predicted  # and it did not take them


def test_an_unreachable_upstream_closes_the_client() -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        address = ("127.0.0.1", placeholder.getsockname()[1])  # a port nothing listens on, once closed
    with (
        ShapedLink(address, FAST) as link,
        socket.create_connection(link.address, timeout=5) as sock,
        contextlib.suppress(ConnectionResetError),  # a reset or an end: closed either way
    ):
        assert sock.recv(10) == b""


# --- CuttableLink ------------------------------------------------------------------------------------------


def _echoed(sock: socket.socket, payload: bytes) -> bytes:
    sock.sendall(payload)
    reply = b""
    while len(reply) < len(payload) and (chunk := sock.recv(65536)):
        reply += chunk
    return reply


def _closed(sock: socket.socket) -> bool:
    """True when the other end closed the connection (an end of stream or a reset)."""
    try:
        return sock.recv(10) == b""
    except ConnectionResetError:
        return True


def test_a_cut_drops_open_connections_and_refuses_new_ones_until_restored(echo: _TcpServer) -> None:
    with CuttableLink(echo.address) as link, socket.create_connection(link.address, timeout=5) as before:
        assert _echoed(before, b"hello") == b"hello"

        link.cut()
        assert link.is_cut
        assert _closed(before)
        with socket.create_connection(link.address, timeout=5) as during:
            assert _closed(during)

        link.restore()
        with socket.create_connection(link.address, timeout=5) as after:
            assert _echoed(after, b"again" * 1000) == b"again" * 1000
        assert link.stats == CutStats(connections=2, dropped=1, refused=1)
