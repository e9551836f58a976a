"""Helpers for sandbox tests: an in-process WeCom client and real-HTTP servers on loopback."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import uvicorn
from starlette.applications import Starlette
from starlette.testclient import TestClient

from siyu.sandbox.models import Corp
from siyu.wecom.errors import ERRMSG_URL

START = 1773108000  # 2026-03-10 10:00 China Standard Time


class WeCom:
    """Calls the sandbox like a WeCom client would (token in the query, JSON bodies)."""

    def __init__(self, client: TestClient, corp: Corp) -> None:
        self.client = client
        self.corp = corp
        self._token = ""
        self.auto_refresh = True  # refetch the token on 42001, as every WeCom client does

    @property
    def token(self) -> str:
        if not self._token:
            params = {"corpid": self.corp.corp_id, "corpsecret": self.corp.secret}
            self._token = self.client.get("/cgi-bin/gettoken", params=params).json()["access_token"]
        return self._token

    def post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self._call("POST", path, json=body or {})

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        return self._call("GET", path, params=params)

    def _call(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        for _ in range(2):
            query = {"access_token": self.token, **(params or {})}
            response = self.client.request(method, f"/cgi-bin/{path}", params=query, json=json)
            assert response.status_code == 200
            result: dict[str, Any] = response.json()
            if result["errcode"] != 42001 or not self.auto_refresh:
                break
            self._token = ""
        return result

    def upload(
        self,
        path: str,
        data: bytes,
        *,
        filename: str,
        content_type: str = "application/octet-stream",
        **params: Any,
    ) -> dict[str, Any]:
        """POST a multipart body with the file in `media`, as the media APIs take it."""
        query = {"access_token": self.token, **params}
        files = {"media": (filename, data, content_type)}
        response = self.client.post(f"/cgi-bin/{path}", params=query, files=files)
        assert response.status_code == 200
        result: dict[str, Any] = response.json()
        return result

    def media_id(self, media_type: str = "image", filename: str = "a.png") -> str:
        result = self.upload("media/upload", b"\x89PNG-data", filename=filename, type=media_type)
        assert result["errcode"] == 0, result
        return str(result["media_id"])

    def ok(
        self, path: str, body: dict[str, Any] | None = None, *, method: str = "POST"
    ) -> dict[str, Any]:
        result = self.post(path, body) if method == "POST" else self.get(path, **(body or {}))
        assert result["errcode"] == 0, result
        assert result["errmsg"] == "ok"
        return result

    def action(self, action_name: str, /, **body: Any) -> dict[str, Any]:
        response = self.client.post(
            f"/sandbox/corps/{self.corp.corp_id}/actions/{action_name}", json=body
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def advance(self, seconds: float) -> None:
        assert self.client.post("/sandbox/clock", json={"advance": seconds}).status_code == 200


def assert_errcode(result: dict[str, Any], errcode: int) -> None:
    assert result["errcode"] == errcode, result
    assert result["errmsg"].endswith(f"more info at {ERRMSG_URL}{errcode}"), result["errmsg"]
    assert ", hint: [" in result["errmsg"] and ", from ip: " in result["errmsg"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve_in_thread(app: Starlette) -> Iterator[str]:
    """uvicorn on a free loopback port in a thread; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class Received:
    method: str
    query: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A callback receiver on loopback: records requests, answers with `status` (or echoes)."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # consumed per POST; default 200
    echo: str | None = None  # plaintext answer to URL verification, set by the test

    def posts(self) -> list[Received]:
        return [r for r in self.requests if r.method == "POST"]


@contextmanager
def callback_receiver(decrypt_echo: Any = None) -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _query(self) -> dict[str, str]:
            return {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            query = self._query()
            receiver.requests.append(Received("GET", query, b""))
            answer = decrypt_echo(query) if decrypt_echo else ""
            self.send_response(200)
            self.end_headers()
            self.wfile.write(answer.encode())

        def do_POST(self) -> None:  # noqa: N802 - http.server API
            length = int(self.headers.get("Content-Length", 0))
            receiver.requests.append(Received("POST", self._query(), self.rfile.read(length)))
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/wecom/callback"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
