"""Templates: rendering, WeCom's length limits cut on character boundaries, bad templates."""

from __future__ import annotations

from datetime import datetime

import pytest

from siyu.acquisition.templates import (
    TemplateValues,
    check_template,
    cut_bytes,
    render_remark,
    render_welcome,
)
from siyu.kit.errors import Unprocessable

VALUES = TemplateValues(
    channel="门店", code="收银台", nickname="小明", staff_name="小艾", at=datetime(2026, 7, 20, 9)
)


class TestRender:
    def test_the_playbook_remark(self) -> None:
        assert render_remark("{date:%m%d}-{channel}-{nickname}", VALUES) == "0720-门店-小明"

    def test_remarks_are_cut_to_twenty_characters(self) -> None:
        long = TemplateValues(**{**VALUES.__dict__, "nickname": "长" * 40})
        assert len(render_remark("{date}-{nickname}", long)) == 20

    def test_welcome_text_is_cut_to_4000_bytes_whole_characters(self) -> None:
        text = render_welcome("欢" * 1500, VALUES)  # 4,500 bytes in UTF-8
        assert len(text.encode()) <= 4000 and text == "欢" * 1333
        assert cut_bytes("a欢", 2) == "a"

    def test_literal_braces(self) -> None:
        assert render_welcome("{{券}} {nickname}", VALUES) == "{券} 小明"


class TestCheck:
    @pytest.mark.parametrize(
        ("template", "needle"),
        [
            ("{who}", "unknown variable {who}"),
            ("{nickname!r}", "conversions"),
            ("{nickname:>4}", "only {date}"),
            ("{date:YYYY}", "strftime"),
            ("{nickname", "brace"),
        ],
    )
    def test_bad_templates_are_named(self, template: str, needle: str) -> None:
        with pytest.raises(Unprocessable, match=needle.replace("{", r"\{").replace("}", r"\}")):
            check_template(template, what="remark_template")
