"""The public mobile pages, rendered on the server as plain HTML.

No JavaScript and no console bundle: a visitor scanning a printed code on a slow phone gets
one small page, and plain forms keep working inside WeChat's built-in browser.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

STYLE = """
body{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;
background:#f5f6f8;color:#1f2329}
main{max-width:420px;margin:0 auto;padding:24px 16px;text-align:center}
h1{font-size:20px;margin:8px 0 16px}
.card{background:#fff;border-radius:12px;padding:20px;box-shadow:0 1px 4px rgba(0,0,0,.06)}
img.qr{width:240px;height:240px}
a.choice,button{display:block;width:100%;box-sizing:border-box;margin:10px 0;padding:14px;
border-radius:8px;border:0;background:#07c160;color:#fff;font-size:16px;text-decoration:none}
input{width:100%;box-sizing:border-box;padding:12px;margin:8px 0;font-size:16px;
border:1px solid #dcdfe6;border-radius:8px}
.error{color:#d93026;margin:12px 0}
.hint{color:#8a8f99;font-size:13px}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f'<body><main><h1>{escape(title)}</h1><div class="card">{body}</div></main></body></html>'
    )


def qr_page(name: str, qr_code: str) -> str:
    return _page(
        name,
        f'<img class="qr" src="{escape(qr_code)}" alt="群二维码" data-qr="{escape(qr_code)}">'
        '<p class="hint">长按识别二维码加入群聊</p>',
    )


def choices_page(name: str, choices: Sequence[tuple[str, str]]) -> str:
    links = "".join(
        f'<a class="choice" href="{escape(href)}">{escape(label)}</a>' for label, href in choices
    )
    return _page(name, f'<p class="hint">请选择最符合你的一项</p>{links}')


def phone_page(name: str, action: str, *, error: str | None = None, phone: str = "") -> str:
    return _page(
        name,
        _error(error) + f'<form method="post" action="{escape(action)}">'
        f'<input name="phone" type="tel" inputmode="numeric" placeholder="手机号" '
        f'value="{escape(phone)}" required><button type="submit">获取验证码</button></form>'
        '<p class="hint">仅限已登记的手机号</p>',
    )


def code_page(name: str, action: str, phone: str, *, error: str | None = None) -> str:
    return _page(
        name,
        _error(error) + f'<form method="post" action="{escape(action)}">'
        f'<input name="phone" type="hidden" value="{escape(phone)}">'
        '<input name="code" inputmode="numeric" maxlength="6" placeholder="6 位验证码" required>'
        '<button type="submit">验证并进群</button></form>'
        f'<p class="hint">验证码已发送至 {escape(phone[:3])}****{escape(phone[-4:])}</p>',
    )


def message_page(title: str, message: str) -> str:
    return _page(title, f'<p class="error">{escape(message)}</p>')


def _error(error: str | None) -> str:
    return f'<p class="error">{escape(error)}</p>' if error else ""
