"""The callback gateway's answers: URL verification, store-once, and every hostile input gets a
4xx that stores nothing (only a counter moves)."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl

import pytest
from fastapi.testclient import TestClient

from siyu.db.session import Database
from siyu.telemetry.metrics import callbacks_total
from siyu.wecom.callbacks import _query_params
from siyu.wecom.crypto import WXBizMsgCrypt
from tests.inbox.conftest import CallbackCorp, callback_corp, fixture_xml, inbox_jobs, inbox_rows

__all__ = ["callback_corp"]  # the fixture, re-exported for this package


def count(outcome: str) -> float:
    value: float = callbacks_total.labels(outcome)._value.get()
    return value


class TestUrlVerification:
    def test_answers_the_bare_plaintext(
        self, client: TestClient, callback_corp: CallbackCorp
    ) -> None:
        echo = callback_corp.crypto.encrypt_message("1616140317555161061", timestamp="1", nonce="n")
        query = {**echo.query(), "echostr": echo.encrypt}
        response = client.get(callback_corp.url, params=query)
        assert response.status_code == 200
        assert response.content == b"1616140317555161061"

    def test_bad_signature_is_403(self, client: TestClient, callback_corp: CallbackCorp) -> None:
        echo = callback_corp.crypto.encrypt_message("x", timestamp="1", nonce="n")
        query = {**echo.query(), "echostr": echo.encrypt, "msg_signature": "0" * 40}
        response = client.get(callback_corp.url, params=query)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"


class TestStoreOnce:
    def test_a_retry_is_acknowledged_but_stored_once(
        self, client: TestClient, db: Database, callback_corp: CallbackCorp
    ) -> None:
        xml = fixture_xml("add_external_contact", corp_id=callback_corp.corp.wecom_corp_id)
        before = count("duplicate")
        assert callback_corp.post(client, xml).status_code == 200
        assert callback_corp.post(client, xml).status_code == 200  # re-encrypted, same event
        assert len(inbox_rows(db)) == 1
        assert len(inbox_jobs(db)) == 1
        assert count("duplicate") == before + 1


class TestHostileInput:
    @pytest.fixture(autouse=True)
    def _setup(self, client: TestClient, db: Database, callback_corp: CallbackCorp) -> None:
        self.client, self.db, self.corp = client, db, callback_corp
        self.xml = fixture_xml("add_external_contact", corp_id=callback_corp.corp.wecom_corp_id)

    def post(self, query: dict[str, str], body: str | bytes) -> tuple[int, str]:
        response = self.client.post(self.corp.url, params=query, content=body)
        assert inbox_rows(self.db) == []
        return response.status_code, response.json()["error"]["code"]

    def test_unknown_corp_key_is_404(self) -> None:
        query, body = self.corp.signed(self.xml)
        response = self.client.post("/wecom/callback/nope", params=query, content=body)
        assert response.status_code == 404
        assert inbox_rows(self.db) == []

    def test_bad_signature_is_403(self) -> None:
        query, body = self.corp.signed(self.xml)
        before = count("bad_signature")
        assert self.post({**query, "msg_signature": "f" * 40}, body) == (403, "forbidden")
        assert count("bad_signature") == before + 1

    def test_signature_over_other_params_is_403(self) -> None:
        query, body = self.corp.signed(self.xml)
        assert self.post({**query, "nonce": "replayed"}, body) == (403, "forbidden")

    def test_wrong_receive_id_is_403(self) -> None:
        other = WXBizMsgCrypt(self.corp.token, self.corp.aes_key, "wwsomeoneelse")
        message = other.encrypt_message(self.xml, timestamp=str(int(time.time())), nonce="n1")
        body = message.envelope(to_user_name="wwsomeoneelse")
        before = count("wrong_receive_id")
        assert self.post(message.query(), body) == (403, "forbidden")
        assert count("wrong_receive_id") == before + 1

    def test_missing_parameters_are_400(self) -> None:
        _, body = self.corp.signed(self.xml)
        assert self.post({}, body) == (400, "bad_request")

    def test_envelope_that_is_not_xml_is_400(self) -> None:
        query, _ = self.corp.signed(self.xml)
        assert self.post(query, b"not xml at all") == (400, "bad_request")

    def test_billion_laughs_envelope_is_400(self) -> None:
        query, _ = self.corp.signed(self.xml)
        bomb = (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
            '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
            "<xml><Encrypt>&lol3;</Encrypt></xml>"
        )
        before = count("bad_xml")
        assert self.post(query, bomb) == (400, "bad_request")
        assert count("bad_xml") == before + 1

    def test_xxe_inside_a_correctly_signed_payload_is_400(self) -> None:
        xxe = (
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            "<xml><Event>&xxe;</Event></xml>"
        )
        query, body = self.corp.signed(xxe)
        assert self.post(query, body) == (400, "bad_request")

    def test_signed_payload_that_is_not_an_event_is_400(self) -> None:
        query, body = self.corp.signed("<xml><Nothing/></xml>")
        assert self.post(query, body) == (400, "bad_request")

    def test_oversized_body_is_413(self) -> None:
        query, _ = self.corp.signed(self.xml)
        before = count("too_large")
        body = "<xml><Encrypt>" + "A" * 70_000 + "</Encrypt></xml>"
        assert self.post(query, body) == (413, "payload_too_large")
        assert count("too_large") == before + 1


class TestLane:
    """The gateway answers on its own ASGI lane: the envelope, methods and metrics still hold."""

    def test_other_methods_are_405_with_allow(
        self, client: TestClient, callback_corp: CallbackCorp
    ) -> None:
        response = client.put(callback_corp.url, content=b"<xml/>")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, POST"
        assert response.json()["error"]["code"] == "method_not_allowed"

    def test_paths_below_a_corp_key_are_404(
        self, client: TestClient, callback_corp: CallbackCorp
    ) -> None:
        for path in (callback_corp.url + "/extra", "/wecom/callback/"):
            response = client.post(path, content=b"<xml/>")
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"

    def test_callbacks_count_in_the_http_metrics(
        self, client: TestClient, callback_corp: CallbackCorp
    ) -> None:
        xml = fixture_xml("add_external_contact", corp_id=callback_corp.corp.wecom_corp_id)
        assert callback_corp.post(client, xml).status_code == 200
        metrics = client.get("/metrics").text
        assert 'route="/wecom/callback/{corp_key}",status="200"' in metrics
        assert 'siyu_callbacks_total{outcome="stored"}' in metrics

    def test_the_api_behind_the_lane_still_answers(self, client: TestClient) -> None:
        assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        b"msg_signature=477715d11cdb&timestamp=1409659813&nonce=1372623149",
        b"a=1&&b=&c",  # blank values and a name without '=' are dropped
        b"a=1&a=2",  # the last repeat wins
        b"a=1&a=",  # ...unless it is blank
        b"=v&k=",
        b"a==b",
        b"x=%41+b&y=1",  # escaped: the standard parser's own result
        b"",
    ],
)
def test_query_parameters_read_as_parse_qsl_reads_them(query: bytes) -> None:
    assert _query_params(query) == dict(parse_qsl(query.decode("latin-1")))
