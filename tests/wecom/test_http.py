"""The WeCom client's HTTP (siyu/wecom/http.py) against a real HTTP/1.1 server on loopback."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from siyu.wecom.http import KeepAliveHttp, TransportError


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.connections = 0
        self.seen: list[dict[str, object]] = []
        self.close_after_answer = False
        self.delay = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def get_request(self) -> tuple[socket.socket, object]:
        self.connections += 1
        return super().get_request()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Recorder

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append(
            {
                "method": self.command,
                "path": self.path,
                "type": self.headers.get("Content-Type"),
                "body": body,
            }
        )
        time.sleep(self.server.delay)
        answer = json.dumps({"errcode": 0, "errmsg": "ok", "echo": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        if self.server.close_after_answer:
            # Closed without saying so (no `Connection: close`): the client finds out only
            # when it reuses the connection, as with a server's idle timeout.
            self.close_connection = True

    do_GET = _answer
    do_POST = _answer


@pytest.fixture
def server() -> Iterator[Recorder]:
    recorder = Recorder()
    thread = threading.Thread(target=recorder.serve_forever, daemon=True)
    thread.start()
    yield recorder
    recorder.shutdown()
    recorder.server_close()


@pytest.fixture
def client() -> Iterator[KeepAliveHttp]:
    http = KeepAliveHttp(timeout=5)
    yield http
    http.close()


def test_calls_share_one_connection(server: Recorder, client: KeepAliveHttp) -> None:
    for index in range(5):
        answer = client.request("GET", f"{server.url}/cgi-bin/x", params={"n": index})
        assert answer.status_code == 200
        assert answer.json()["echo"] == f"/cgi-bin/x?n={index}"
    assert server.connections == 1


def test_json_body_and_query(server: Recorder, client: KeepAliveHttp) -> None:
    answer = client.request(
        "POST",
        f"{server.url}/cgi-bin/send?debug=1",
        params={"access_token": "t k"},
        json={"text": {"content": "你好"}},
    )
    assert answer.json()["errcode"] == 0
    seen = server.seen[-1]
    assert seen["path"] == "/cgi-bin/send?debug=1&access_token=t+k"
    assert seen["type"] == "application/json; charset=utf-8"
    assert json.loads(seen["body"]) == {"text": {"content": "你好"}}  # type: ignore[arg-type]


def test_a_connection_the_server_closed_meanwhile_is_replaced(
    server: Recorder, client: KeepAliveHttp
) -> None:
    server.close_after_answer = True
    for _ in range(3):
        assert client.request("POST", f"{server.url}/a", json={}).status_code == 200
    assert server.connections == 3
    assert len(server.seen) == 3  # each request reached the server once


def test_a_slow_server_times_out(server: Recorder) -> None:
    server.delay = 1.0
    http = KeepAliveHttp(timeout=0.2)
    try:
        with pytest.raises(TransportError, match="timed out"):
            http.request("GET", f"{server.url}/slow")
    finally:
        http.close()


def test_nobody_listening_is_a_transport_error(client: KeepAliveHttp) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransportError, match="ConnectionRefused"):
        client.request("GET", f"http://127.0.0.1:{port}/x")


def test_uploads_are_multipart(server: Recorder, client: KeepAliveHttp) -> None:
    files = {"media": ("a.png", b"\x89PNG-bytes", "image/png")}
    answer = client.request("POST", f"{server.url}/upload", params={"type": "image"}, files=files)
    assert answer.status_code == 200
    seen = server.seen[-1]
    assert str(seen["type"]).startswith("multipart/form-data; boundary=")
    assert b"\x89PNG-bytes" in seen["body"]  # type: ignore[operator]


def test_an_egress_proxy_from_the_environment_is_used(
    server: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{dead}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    proxied = KeepAliveHttp(timeout=2)
    try:
        with pytest.raises(TransportError):  # it went to the (dead) proxy, not to the server
            proxied.request("GET", f"{server.url}/x")
        assert server.seen == []
    finally:
        proxied.close()
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    direct = KeepAliveHttp(timeout=2)
    try:
        assert direct.request("GET", f"{server.url}/x").status_code == 200
    finally:
        direct.close()
