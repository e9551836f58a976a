"""Auto-remark, auto-description and welcome templates: validated when saved, rendered per add.

Templates use `{name}` fields; `{date:%m%d}` takes a strftime format. Rendering never fails on
a saved template, and cuts the result to WeCom's limits (remark ≤20 characters, description
≤150, welcome text ≤4000 UTF-8 bytes: API-FACTS §4.1, §4.4) without splitting a character.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime

from siyu.kit.errors import Unprocessable

REMARK_MAX_CHARS = 20
DESCRIPTION_MAX_CHARS = 150
WELCOME_MAX_BYTES = 4000
FIELDS = frozenset({"date", "channel", "code", "nickname", "staff_name"})
_formatter = string.Formatter()


@dataclass(frozen=True)
class TemplateValues:
    channel: str
    code: str
    nickname: str
    staff_name: str
    at: datetime  # China local time of the add


def check_template(template: str, *, what: str) -> str:
    """Raise 422 naming the problem: unknown field, bad braces, a format on a non-date field."""
    try:
        parsed = list(_formatter.parse(template))
    except ValueError as exc:
        raise Unprocessable(f"{what}: {exc} (write a literal brace as {{{{ or }}}})") from exc
    for _, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in FIELDS:
            allowed = ", ".join(sorted(FIELDS))
            raise Unprocessable(f"{what}: unknown variable {{{field}}}; use one of {allowed}")
        if conversion:
            raise Unprocessable(f"{what}: {{{field}!{conversion}}} conversions are not supported")
        if spec and field != "date":
            raise Unprocessable(f"{what}: only {{date}} takes a format, not {{{field}:{spec}}}")
        if field == "date" and spec and "%" not in spec:
            raise Unprocessable(f"{what}: {{date:{spec}}} needs a strftime format such as %m%d")
    return template


def render(template: str, values: TemplateValues) -> str:
    parts: list[str] = []
    for literal, field, spec, _ in _formatter.parse(template):
        parts.append(literal)
        if field is None:
            continue
        if field == "date":
            parts.append(values.at.strftime(spec or "%m%d"))
        else:
            parts.append(str(getattr(values, field, "")))
    return "".join(parts)


def cut_bytes(text: str, limit: int) -> str:
    """The longest prefix of `text` that fits in `limit` UTF-8 bytes."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


def render_remark(template: str, values: TemplateValues) -> str:
    return render(template, values)[:REMARK_MAX_CHARS]


def render_description(template: str, values: TemplateValues) -> str:
    return render(template, values)[:DESCRIPTION_MAX_CHARS]


def render_welcome(template: str, values: TemplateValues) -> str:
    return cut_bytes(render(template, values), WELCOME_MAX_BYTES)
