"""Every customer-contact event of API-FACTS §3, from a sanitised fixture file, through the
gateway: stored once under its natural key, decoded into its model (unknown events kept raw)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from siyu.db.session import Database
from siyu.wecom import events as ev
from siyu.wecom.events import parse_event
from tests.inbox.conftest import CallbackCorp, fixture_xml, inbox_rows

T = "1767225600"


class TestEventFixtures:
    @pytest.fixture(autouse=True)
    def _setup(self, client: TestClient, db: Database, callback_corp: CallbackCorp) -> None:
        self.client, self.db, self.corp = client, db, callback_corp

    def check(self, name: str, model: type, key: str) -> None:
        xml = fixture_xml(name, corp_id=self.corp.corp.wecom_corp_id)
        response = self.corp.post(self.client, xml)
        assert response.status_code == 200, response.text
        assert response.content == b""
        (row,) = inbox_rows(self.db)
        assert (row.dedup_key, row.payload, row.create_time) == (key, xml, int(T))
        assert type(parse_event(row.payload)) is model

    def test_add_external_contact(self) -> None:
        self.check(
            "add_external_contact",
            ev.AddExternalContact,
            f"change_external_contact:add_external_contact:zhangsan:wmAAAAexternal0001:spring_poster:WELCOMECODE0001:{T}",
        )  # noqa: E501

    def test_add_half_external_contact(self) -> None:
        self.check(
            "add_half_external_contact",
            ev.AddHalfExternalContact,
            f"change_external_contact:add_half_external_contact:zhangsan:wmAAAAexternal0002:counter:WELCOMECODE0002:{T}",
        )  # noqa: E501

    def test_edit_external_contact(self) -> None:
        self.check(
            "edit_external_contact",
            ev.EditExternalContact,
            f"change_external_contact:edit_external_contact:zhangsan:wmAAAAexternal0001:{T}",
        )  # noqa: E501

    def test_del_external_contact(self) -> None:
        self.check(
            "del_external_contact",
            ev.DelExternalContact,
            f"change_external_contact:del_external_contact:zhangsan:wmAAAAexternal0001:DELETE_BY_TRANSFER:{T}",
        )  # noqa: E501

    def test_del_follow_user(self) -> None:
        self.check(
            "del_follow_user",
            ev.DelFollowUser,
            f"change_external_contact:del_follow_user:zhangsan:wmAAAAexternal0001:{T}",
        )  # noqa: E501

    def test_transfer_fail(self) -> None:
        self.check(
            "transfer_fail",
            ev.TransferFail,
            f"change_external_contact:transfer_fail:customer_refused:lisi:wmAAAAexternal0001:{T}",
        )  # noqa: E501

    def test_msg_audit_approved(self) -> None:
        self.check(
            "msg_audit_approved",
            ev.MsgAuditApproved,
            f"change_external_contact:msg_audit_approved:zhangsan:wmAAAAexternal0001:WELCOMECODE0003:{T}",
        )  # noqa: E501

    def test_chat_create(self) -> None:
        self.check(
            "chat_create", ev.ExternalChatCreate, f"change_external_chat:create:wrAAAAchat0001:{T}"
        )  # noqa: E501

    def test_chat_update(self) -> None:
        self.check(
            "chat_update",
            ev.ExternalChatUpdate,
            f"change_external_chat:update:wrAAAAchat0001:add_member:3:2:"
            "('wmAAAAexternal0001', 'wmAAAAexternal0002'):"
            f"9c3f97c2ada667dfb5f6d03308d963e1:71217227bbd112ecfe3a49c482195cb4:{T}",
        )  # noqa: E501

    def test_chat_dismiss(self) -> None:
        self.check(
            "chat_dismiss",
            ev.ExternalChatDismiss,
            f"change_external_chat:dismiss:wrAAAAchat0001:{T}",
        )  # noqa: E501

    def test_tag_create(self) -> None:
        self.check(
            "tag_create", ev.ExternalTagCreate, f"change_external_tag:create:etAAAAtag0001:tag:{T}"
        )  # noqa: E501

    def test_tag_update(self) -> None:
        self.check(
            "tag_update", ev.ExternalTagUpdate, f"change_external_tag:update:etAAAAtag0001:tag:{T}"
        )  # noqa: E501

    def test_tag_delete(self) -> None:
        self.check(
            "tag_delete", ev.ExternalTagDelete, f"change_external_tag:delete:etAAAAtag0001:tag:{T}"
        )  # noqa: E501

    def test_tag_shuffle(self) -> None:
        self.check(
            "tag_shuffle",
            ev.ExternalTagShuffle,
            f"change_external_tag:shuffle:etAAAAgroup0001:7:{T}",
        )  # noqa: E501

    def test_unknown_event_kept_raw(self) -> None:
        self.check("msgaudit_notify", ev.UnknownEvent, f"msgaudit_notify::AgentID=1000002:{T}")
