"""Corp routes (access control is added by the auth domain)."""

from __future__ import annotations

from fastapi import APIRouter

from siyu.kit.routing import TransactionalRoute

router = APIRouter(prefix="/corps", tags=["corps"], route_class=TransactionalRoute)
