"""The integration page's "verify" button: do the corp's credentials work against its WeCom?"""

from __future__ import annotations

from pydantic import BaseModel

from siyu.corps.models import Corp
from siyu.runtime import Runtime
from siyu.wecom.client import client_for
from siyu.wecom.exceptions import WeComApiError


class VerifyResult(BaseModel):
    ok: bool
    errcode: int | None = None
    errmsg: str | None = None
    follow_user_count: int | None = None
    callback_url: str


def callback_url(runtime: Runtime, corp: Corp) -> str:
    return f"{runtime.settings.public_url.rstrip('/')}/wecom/callback/{corp.callback_key}"


def verify_corp(runtime: Runtime, corp: Corp) -> VerifyResult:
    """Fetch a token and list the members with customer contact: the first call every sync makes,
    so success means sync and callbacks can work (the callback URL is verified by WeCom itself
    when it is saved in WeCom's admin console)."""
    url = callback_url(runtime, corp)
    try:
        follow_users = client_for(runtime, corp).get_follow_user_list().follow_user
    except WeComApiError as exc:
        return VerifyResult(ok=False, errcode=exc.errcode, errmsg=exc.errmsg, callback_url=url)
    return VerifyResult(ok=True, errcode=0, follow_user_count=len(follow_users), callback_url=url)
