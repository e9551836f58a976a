"""Inbox fixtures: a corp with callback credentials and helpers that build signed callbacks."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from siyu.corps.models import Corp
from siyu.db.session import Database
from siyu.inbox.models import InboxEvent
from siyu.jobs.models import JobRun
from siyu.kit.secrets import SecretBox
from siyu.wecom.crypto import WXBizMsgCrypt, generate_aes_key
from tests.conftest import TEST_SECRET_KEY
from tests.helpers.auth import make_corp

FIXTURES = Path(__file__).parent / "fixtures"
TOKEN = "inboxtesttoken"
_nonce = itertools.count(1)


@dataclass
class CallbackCorp:
    corp: Corp
    token: str
    aes_key: str

    @property
    def url(self) -> str:
        return f"/wecom/callback/{self.corp.callback_key}"

    @property
    def crypto(self) -> WXBizMsgCrypt:
        return WXBizMsgCrypt(self.token, self.aes_key, self.corp.wecom_corp_id)

    def signed(self, xml: str, *, timestamp: str | None = None) -> tuple[dict[str, str], str]:
        """The query and body WeCom would POST for the decrypted document `xml`."""
        message = self.crypto.encrypt_message(
            xml, timestamp=timestamp or str(int(time.time())), nonce=f"n{next(_nonce)}"
        )
        return message.query(), message.envelope(to_user_name=self.corp.wecom_corp_id)

    def post(self, client: TestClient, xml: str) -> Any:
        query, body = self.signed(xml)
        return client.post(self.url, params=query, content=body)


def give_callback_secrets(db: Database, corp: Corp, *, token: str, aes_key: str) -> None:
    box = SecretBox(TEST_SECRET_KEY)
    with db.transaction() as session:
        row = session.get(Corp, corp.id)
        assert row is not None
        row.callback_token_ciphertext = box.encrypt(token)
        row.callback_aes_key_ciphertext = box.encrypt(aes_key)


@pytest.fixture
def callback_corp(db: Database) -> CallbackCorp:
    corp = make_corp(db)
    aes_key = generate_aes_key()
    give_callback_secrets(db, corp, token=TOKEN, aes_key=aes_key)
    return CallbackCorp(corp, TOKEN, aes_key)


def fixture_xml(
    name: str, *, corp_id: str = "wwfixturecorp", create_time: int | None = None
) -> str:
    """A sanitised payload from tests/inbox/fixtures, addressed to `corp_id`."""
    text = (FIXTURES / f"{name}.xml").read_text().strip()
    text = text.replace("wwfixturecorp", corp_id)
    if create_time is not None:
        start = text.index("<CreateTime>") + len("<CreateTime>")
        end = text.index("</CreateTime>")
        text = text[:start] + str(create_time) + text[end:]
    return text


def inbox_rows(db: Database) -> list[InboxEvent]:
    with db.transaction(write=False) as session:
        return list(session.scalars(select(InboxEvent).order_by(InboxEvent.id)))


def inbox_jobs(db: Database) -> list[JobRun]:
    with db.transaction(write=False) as session:
        return list(
            session.scalars(select(JobRun).where(JobRun.name == "inbox.handle").order_by(JobRun.id))
        )
