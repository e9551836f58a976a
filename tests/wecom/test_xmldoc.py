"""The flat XML parser: the same fields as ElementTree (through defusedxml) on every fixture,
and a refusal for every hostile or unexpected construct."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from defusedxml import ElementTree

from siyu.wecom.events import AddExternalContact, ExternalChatUpdate
from siyu.wecom.xmldoc import UnsafeXMLError, parse_flat

FIXTURES = sorted((Path(__file__).parent.parent / "inbox" / "fixtures").glob("*.xml"))


def etree_fields(document: str) -> tuple[str, dict[str, Any]]:
    """What the gateway built before: a dict over the root's children (last one wins)."""
    root = ElementTree.fromstring(document)
    fields: dict[str, Any] = {}
    for child in root:
        children = list(child)
        fields[child.tag] = [c.text or "" for c in children] if children else child.text or ""
    return root.tag, fields


class TestParseFlatAgreesWithElementTree:
    @pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
    def test_fixture(self, path: Path) -> None:
        document = path.read_text("utf-8")
        assert parse_flat(document) == etree_fields(document)
        assert parse_flat(document.encode("utf-8")) == etree_fields(document)

    def test_fixtures_exist(self) -> None:
        assert len(FIXTURES) >= 10

    @pytest.mark.parametrize(
        "document",
        [
            "<xml><A>1</A><A>2</A></xml>",  # a repeated field: the last one wins in both
            "<xml><A><![CDATA[x]]>y<![CDATA[]]]]><![CDATA[>]]></A></xml>",
            "<xml><A>&lt;&amp;&gt;&quot;&apos;&#20013;</A><B/></xml>",
            "<xml>\n  <A>\n text \n</A>\n</xml>",
            '<?xml version="1.0" encoding="utf-8"?><xml><A>中文</A></xml>',
            "<xml><L><Item>a</Item><Item></Item><Item><![CDATA[c]]></Item></L></xml>",
            "<xml><L>ignored<Item>a</Item>also ignored</L></xml>",
            '<xml a="1"><A b="2">v</A></xml>',
        ],
    )
    def test_edge_cases(self, document: str) -> None:
        assert parse_flat(document) == etree_fields(document)

    def test_events_round_trip(self) -> None:
        event = ExternalChatUpdate(
            to_user_name="ww1",
            create_time=1767225600,
            chat_id="wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA",
            update_detail="add_member",
            join_scene=3,
            mem_change_cnt=2,
            mem_change_list=("wmA]]>", "wmB"),
            last_mem_ver="v1",
            cur_mem_ver="v2",
        )
        assert parse_flat(event.to_xml()) == etree_fields(event.to_xml())
        plain = AddExternalContact(
            to_user_name="ww1", create_time=1, user_id="u", external_user_id="wm1", state="s&<"
        )
        assert parse_flat(plain.to_xml())[1]["State"] == "s&<"


class TestParseFlatRefuses:
    @pytest.mark.parametrize(
        "document",
        [
            # billion laughs
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><xml><A>&lol2;</A></xml>',
            # XXE, external DTD, parameter entities
            '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><A>&xxe;</A></xml>',
            '<!DOCTYPE xml SYSTEM "http://127.0.0.1:1/evil.dtd"><xml><A>1</A></xml>',
            '<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:1/p">%p;]><xml/>',
            # a DOCTYPE with no entities at all (defusedxml would allow it; WeCom never sends one)
            "<!DOCTYPE xml><xml><A>1</A></xml>",
            # undeclared entity, broken and truncated documents, two roots, deep nesting
            "<xml><A>&undefined;</A></xml>",
            "<xml><A>1</A>",
            "<xml><A>1</B></xml>",
            "<xml/><xml/>",
            "",
            "not xml",
            "<xml><A><Item><Deep>1</Deep></Item></A></xml>",
        ],
    )
    def test_hostile_or_broken(self, document: str) -> None:
        with pytest.raises(UnsafeXMLError):
            parse_flat(document)
