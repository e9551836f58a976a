"""Variables in reply texts: `{nickname}` is replaced by the customer's nickname when the reply
is used; `{{` and `}}` are literal braces. A name outside `VARIABLES` is refused where the text
is written and where it is rendered (422 naming it), so a typo never reaches a customer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from siyu.kit.errors import Unprocessable

VARIABLES: dict[str, str] = {
    "nickname": "客户昵称 (the customer's WeChat name)",
    "remark": "备注名 (the staff member's remark for the customer)",
    "staff_name": "员工姓名 (the staff member's name)",
    "corp_name": "企业名称 (the company's name)",
}
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def variables_in(text: str) -> list[str]:
    """The variable names used, in order of first use; 422 on unknown names or stray braces."""
    names: list[str] = []
    unknown: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if match.group(1) is None:
            raise Unprocessable(
                f"a lone '{token}' at position {match.start()}: write '{token * 2}' for a brace",
                code="bad_template",
            )
        name = match.group(1).strip()
        if name not in VARIABLES:
            unknown.append(name)
        elif name not in names:
            names.append(name)
    if unknown:
        raise Unprocessable(
            f"unknown variable {', '.join('{' + n + '}' for n in unknown)}; "
            f"known: {', '.join('{' + n + '}' for n in VARIABLES)}",
            details={"unknown": unknown, "known": list(VARIABLES)},
            code="unknown_variable",
        )
    return names


def render(text: str, values: Mapping[str, str]) -> str:
    """The text with every variable replaced; 422 if a variable is unknown or has no value."""
    strangers = sorted(set(values) - set(VARIABLES))
    if strangers:
        raise Unprocessable(
            f"unknown variable {', '.join('{' + n + '}' for n in strangers)} in values",
            details={"unknown": strangers, "known": list(VARIABLES)},
            code="unknown_variable",
        )
    needed = variables_in(text)
    missing = [n for n in needed if n not in values]
    if missing:
        raise Unprocessable(
            f"no value for {', '.join('{' + n + '}' for n in missing)}",
            details={"missing": missing},
            code="missing_variable",
        )

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        return values[match.group(1).strip()]

    return _TOKEN.sub(replace, text)
