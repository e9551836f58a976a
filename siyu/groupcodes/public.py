"""The public group-code pages: no login, addressed by the code's unguessable slug.

A code with routes shows its choices (each leads to another code's page); a phone-verified
code asks for a listed phone and an SMS code first; any other code shows its join way's QR,
which stays the same while Siyu rotates the groups behind it.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Cookie, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from siyu.auth.deps import client_info
from siyu.deps import DbSession, SettingsDep
from siyu.groupcodes import page, routing, verification
from siyu.groupcodes.models import ROUTE_KEYWORD, GroupCode
from siyu.groupcodes.repository import group_code_repository as repo
from siyu.groupcodes.service import group_code_service
from siyu.groupcodes.sms import sender_for
from siyu.kit.clock import utcnow
from siyu.kit.errors import SiyuError
from siyu.kit.routing import TransactionalRoute
from siyu.settings import Settings

PREFIX = "/public/group-codes"
router = APIRouter(
    prefix=PREFIX,
    tags=["groupcodes-public"],
    route_class=TransactionalRoute,
    include_in_schema=False,
)
PASS_COOKIE = "siyu_gc_pass"
# What the visitor reads, per error code; the API's English message is the fallback.
MESSAGES = {
    "not_listed": "该手机号不在本群的登记名单中",
    "too_many_requests": "操作太频繁，请稍后再试",
    "code_expired": "验证码已过期，请重新获取",
    "wrong_code": "验证码不正确",
    "no_code": "请先获取验证码",
    "bad_request": "请输入正确的手机号",
    "sms_unavailable": "短信发送失败，请稍后再试",
}


def page_path(code: GroupCode) -> str:
    return f"/api/v1{PREFIX}/{code.slug}"


def _pass_secret(settings: Settings) -> str:
    return routing.derived_secret(settings, "pass")


def _link_secret(settings: Settings) -> str:
    return routing.derived_secret(settings, "customer-link")


def customer_link(settings: Settings, code: GroupCode, external_userid: str) -> str:
    """The code's page for one customer: tag and segment routes apply to them."""
    query = routing.customer_query(_link_secret(settings), code.id, external_userid)
    return f"{page_path(code)}?{query}"


def _html(content: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(content, status_code=status, headers={"Cache-Control": "no-store"})


def _code(session: DbSession, slug: str) -> GroupCode:
    """404 for an unknown slug: a wrong or revoked link looks exactly like a never-issued one."""
    return group_code_service.get_by_slug_or_404(session, slug=slug)


def _qr(code: GroupCode) -> HTMLResponse:
    if not code.qr_code:
        return _html(page.message_page(code.name, "二维码暂不可用，请稍后再试"), 503)
    return _html(page.qr_page(code.name, code.qr_code))


async def _form(request: Request) -> dict[str, str]:
    """The posted form (urlencoded; the app has no multipart parser and needs none here)."""
    body = (await request.body())[:4096].decode("utf-8", errors="replace")
    return {k: v[0] for k, v in parse_qs(body).items() if v}


FormFields = Annotated[dict[str, str], Depends(_form)]


def _phone_code(session: DbSession, slug: str) -> tuple[GroupCode, HTMLResponse | None]:
    """The code, and the answer to give instead when it takes no phone verification."""
    code = _code(session, slug)
    if not code.phone_verification:
        return code, _html(page.message_page(code.name, "本群无需验证"), 404)
    return code, None


def _failed(exc: SiyuError, render: str) -> HTMLResponse:
    message = MESSAGES.get(exc.code, exc.message)
    headers = (
        {"Retry-After": str(getattr(exc, "retry_after", ""))} if exc.status_code == 429 else {}
    )
    response = _html(render.replace("__ERROR__", message), exc.status_code)
    response.headers.update(headers)
    return response


@router.get("/{slug}", response_class=HTMLResponse)
def show_group_code_page(
    slug: str,
    session: DbSession,
    settings: SettingsDep,
    siyu_gc_pass: Annotated[str | None, Cookie()] = None,
    c: Annotated[str | None, Query(description="external_userid of a signed link")] = None,
    sig: Annotated[str | None, Query()] = None,
) -> Response:
    code = _code(session, slug)
    routes = repo.routes(session, code.id)
    customer = routing.signed_customer(_link_secret(settings), code, c, sig)
    targets = {
        t.id: t for t in repo.get_in_corp(session, code.corp_id, [r.target_code_id for r in routes])
    }

    def link(target: GroupCode) -> str:
        # A known customer stays known on the next page (signed again, for that code).
        return customer_link(settings, target, customer) if customer else page_path(target)

    if customer is not None:
        matched = routing.matching_target(
            session, code=code, routes=routes, external_userid=customer
        )
        if matched is not None and matched in targets:
            return RedirectResponse(link(targets[matched]), status_code=303)
    choices = [
        (r.label, link(targets[r.target_code_id]))
        for r in routes
        if r.kind == ROUTE_KEYWORD and r.target_code_id in targets
    ]
    if choices:
        return _html(page.choices_page(code.name, choices))
    if code.phone_verification and not (
        siyu_gc_pass
        and verification.pass_valid(
            _pass_secret(settings), code=code, token=siyu_gc_pass, now=utcnow()
        )
    ):
        return _html(page.phone_page(code.name, f"{page_path(code)}/sms"))
    return _qr(code)


@router.post("/{slug}/sms", response_class=HTMLResponse)
def send_group_code_sms(
    slug: str, request: Request, session: DbSession, settings: SettingsDep, form: FormFields
) -> HTMLResponse:
    code, refused = _phone_code(session, slug)
    if refused is not None:
        return refused
    phone = form.get("phone", "")
    try:
        verification.send_code(
            session,
            code=code,
            raw_phone=phone,
            ip=client_info(request).ip,
            sender=sender_for(settings.sms_sender),
            now=utcnow(),
        )
    except SiyuError as exc:
        return _failed(
            exc,
            page.phone_page(code.name, f"{page_path(code)}/sms", error="__ERROR__", phone=phone),
        )
    clean = verification.clean_phone(phone)
    return _html(page.code_page(code.name, f"{page_path(code)}/verify", clean))


@router.post("/{slug}/verify", response_class=HTMLResponse)
def verify_group_code_phone(
    slug: str, session: DbSession, settings: SettingsDep, form: FormFields
) -> HTMLResponse:
    code, refused = _phone_code(session, slug)
    if refused is not None:
        return refused
    phone = form.get("phone", "")
    try:
        verified = verification.check_code(
            session,
            code=code,
            raw_phone=phone,
            digits=form.get("code", ""),
            secret=_pass_secret(settings),
            now=utcnow(),
        )
    except SiyuError as exc:
        # Returned, not raised: the failed attempt is counted (the route commits).
        return _failed(
            exc,
            page.code_page(code.name, f"{page_path(code)}/verify", phone, error="__ERROR__"),
        )
    response = _qr(code)
    response.set_cookie(
        PASS_COOKIE,
        verified.token,
        max_age=int(verification.PASS_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        path=page_path(code),
    )
    return response
