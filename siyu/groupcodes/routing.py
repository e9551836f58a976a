"""Routing a visitor to another code: by tag or segment for a customer identified by a signed
link (staff send it in chat), else by the visitor's own choice on the page.

The link carries the external_userid and an HMAC over it and the code, so a visitor cannot
pose as another customer or reuse the link on another code.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Sequence
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.customers.service import customer_service
from siyu.groupcodes.models import ROUTE_SEGMENT, ROUTE_TAG, GroupCode, GroupCodeRoute
from siyu.kit.errors import BadRequest, NotFound
from siyu.segments.conditions import Condition, TagsCondition
from siyu.segments.service import segment_service
from siyu.settings import Settings


def derived_secret(settings: Settings, purpose: str) -> str:
    """A key per purpose, so nothing here signs with the key that encrypts corp secrets."""
    return hashlib.sha256(f"siyu.groupcodes.{purpose}:{settings.secret_key}".encode()).hexdigest()


def customer_signature(secret: str, code_id: uuid.UUID, external_userid: str) -> str:
    mac = hmac.new(secret.encode(), f"customer:{code_id}:{external_userid}".encode(), "sha256")
    return mac.hexdigest()[:32]


def customer_query(secret: str, code_id: uuid.UUID, external_userid: str) -> str:
    sig = customer_signature(secret, code_id, external_userid)
    return urlencode({"c": external_userid, "sig": sig})


def signed_customer(
    secret: str, code: GroupCode, external_userid: str | None, sig: str | None
) -> str | None:
    """The external_userid when the link is genuine, else None (the page then acts as for
    an anonymous visitor rather than failing)."""
    if not external_userid or not sig or len(external_userid) > 64:
        return None
    expected = customer_signature(secret, code.id, external_userid)
    return external_userid if hmac.compare_digest(expected, sig) else None


def _condition(session: Session, corp_id: uuid.UUID, route: GroupCodeRoute) -> Condition:
    assert route.match_id is not None
    if route.kind == ROUTE_TAG:
        return TagsCondition(type="tags", tag_ids=[route.match_id])
    segment = segment_service.get_or_404(session, corp_id=corp_id, segment_id=route.match_id)
    return segment_service.condition_of(segment)


def check_route(session: Session, corp_id: uuid.UUID, route: GroupCodeRoute) -> None:
    """Refuse a tag or segment route whose tag or segment does not exist (400, not later)."""
    if route.kind not in (ROUTE_TAG, ROUTE_SEGMENT):
        return
    try:
        condition = _condition(session, corp_id, route)
        segment_service.where(session, scope=DataScope.everything(corp_id), condition=condition)
    except NotFound as exc:
        raise BadRequest(f"route {route.label!r}: {exc.message}") from exc


def matching_target(
    session: Session, *, code: GroupCode, routes: Sequence[GroupCodeRoute], external_userid: str
) -> uuid.UUID | None:
    """The first tag or segment route the customer matches (position order), if any."""
    ids = customer_service.ids_by_external_userid(
        session, corp_id=code.corp_id, external_userids=[external_userid]
    )
    customer_id = ids.get(external_userid)
    if customer_id is None:
        return None
    for route in routes:
        if route.kind not in (ROUTE_TAG, ROUTE_SEGMENT):
            continue
        try:
            condition = _condition(session, code.corp_id, route)
        except NotFound:
            continue  # the segment was deleted since: skip the route
        if segment_service.matches(
            session, corp_id=code.corp_id, customer_id=customer_id, condition=condition
        ):
            return route.target_code_id
    return None
