"""Callback event models: XML builders and the defusedxml parser (API-FACTS §3)."""

from __future__ import annotations

import pytest

from siyu.wecom import events
from siyu.wecom.events import EventParseError, UnknownEvent, parse_event

COMMON = {"to_user_name": "wwcorp", "create_time": 1403610513}

SAMPLES: list[events.CallbackEvent] = [
    events.AddExternalContact(
        **COMMON,
        user_id="zhangsan",
        external_user_id="wmA",
        state="teststate",
        welcome_code="WELCOMECODE",
    ),
    events.AddHalfExternalContact(
        **COMMON, user_id="zhangsan", external_user_id="wmA", state="s", welcome_code="W"
    ),
    events.EditExternalContact(**COMMON, user_id="zhangsan", external_user_id="wmA"),
    events.DelExternalContact(
        **COMMON, user_id="zhangsan", external_user_id="wmA", source="DELETE_BY_TRANSFER"
    ),
    events.DelFollowUser(**COMMON, user_id="zhangsan", external_user_id="wmA"),
    events.TransferFail(
        **COMMON, user_id="lisi", external_user_id="wmA", fail_reason="customer_refused"
    ),
    events.MsgAuditApproved(**COMMON, user_id="zhangsan", external_user_id="wmA", welcome_code="W"),
    events.ExternalChatCreate(**COMMON, chat_id="wrX"),
    events.ExternalChatUpdate(
        **COMMON,
        chat_id="wrX",
        update_detail="add_member",
        join_scene=3,
        mem_change_cnt=2,
        mem_change_list=("Jack", "Rose"),
        last_mem_ver="v1",
        cur_mem_ver="v2",
    ),
    events.ExternalChatUpdate(
        **COMMON,
        chat_id="wrX",
        update_detail="del_member",
        quit_scene=1,
        mem_change_cnt=1,
        mem_change_list=("Jack",),
    ),
    events.ExternalChatDismiss(**COMMON, chat_id="wrX"),
    events.ExternalTagCreate(**COMMON, id="etA", tag_type="tag"),
    events.ExternalTagUpdate(**COMMON, id="etA", tag_type="tag_group"),
    events.ExternalTagDelete(**COMMON, id="etA", tag_type="tag", strategy_id="1"),
    events.ExternalTagShuffle(**COMMON, id="etA"),
]


class TestRoundTrip:
    @pytest.mark.parametrize("event", SAMPLES, ids=lambda e: f"{e.EVENT}-{e.CHANGE_TYPE}")
    def test_parse_of_to_xml_is_identity(self, event: events.CallbackEvent) -> None:
        assert parse_event(event.to_xml()) == event


class TestXmlShape:
    def test_add_external_contact_matches_the_documented_example(self) -> None:
        documented = (
            "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
            "<CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            "<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>"
            "<UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mAAAA]]></ExternalUserID>"
            "<State><![CDATA[teststate]]></State><WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode></xml>"
        )
        event = events.AddExternalContact(
            to_user_name="toUser",
            create_time=1403610513,
            user_id="zhangsan",
            external_user_id="woAJ2GCAAAXtWyujaWJHDDGi0mAAAA",
            state="teststate",
            welcome_code="WELCOMECODE",
        )
        assert event.to_xml() == documented

    def test_member_change_list_uses_items(self) -> None:
        xml = SAMPLES[8].to_xml()
        assert (
            "<MemChangeList><Item><![CDATA[Jack]]></Item><Item><![CDATA[Rose]]></Item></MemChangeList>"
            in xml
        )
        assert (
            "<JoinScene>3</JoinScene>" in xml and "<LastMemVer><![CDATA[v1]]></LastMemVer>" in xml
        )

    def test_absent_optional_fields_are_omitted(self) -> None:
        xml = events.AddExternalContact(**COMMON, user_id="u", external_user_id="e").to_xml()
        assert "WelcomeCode" not in xml and "State" not in xml

    def test_cdata_terminator_in_values_survives(self) -> None:
        event = events.ExternalChatCreate(**COMMON, chat_id="a]]>b")
        assert parse_event(event.to_xml()) == event


class TestParser:
    def test_legacy_comma_separated_member_list(self) -> None:
        xml = (
            SAMPLES[9]
            .to_xml()
            .replace(
                "<MemChangeList><Item><![CDATA[Jack]]></Item></MemChangeList>",
                "<MemChangeList><![CDATA[Jack,Rose]]></MemChangeList>",
            )
        )
        parsed = parse_event(xml)
        assert isinstance(parsed, events.ExternalChatUpdate)
        assert parsed.mem_change_list == ("Jack", "Rose")

    def test_unknown_events_are_kept_raw(self) -> None:
        xml = "<xml><ToUserName>ww</ToUserName><Event>kf_msg_or_event</Event><Token>T</Token></xml>"
        parsed = parse_event(xml)
        assert isinstance(parsed, UnknownEvent)
        assert (parsed.event, parsed.fields["Token"], parsed.raw) == ("kf_msg_or_event", "T", xml)

    def test_garbled_known_event_is_kept_raw(self) -> None:
        xml = (
            SAMPLES[0]
            .to_xml()
            .replace("<CreateTime>1403610513</CreateTime>", "<CreateTime>soon</CreateTime>")
        )
        assert isinstance(parse_event(xml), UnknownEvent)

    @pytest.mark.parametrize(
        "xml",
        [
            "not xml",
            "<xml><ToUserName>x</ToUserName></xml>",
            '<!DOCTYPE x [<!ENTITY a "b">]><xml><Event>&a;</Event></xml>',
        ],
    )
    def test_non_events_and_hostile_xml_raise(self, xml: str) -> None:
        with pytest.raises(EventParseError):
            parse_event(xml)

    def test_dedup_key_names_the_event(self) -> None:
        expected = "change_external_contact:add_external_contact:zhangsan:wmA"
        assert SAMPLES[0].key() == f"{expected}:teststate:WELCOMECODE:1403610513"
