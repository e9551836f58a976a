"""The scope-isolation check every scoped domain runs: a caller cannot read or change rows
outside their data scope (or their corp) through ANY endpoint.

Endpoints are discovered from `app.routes` by path-parameter name, so an endpoint added later
is checked without anyone remembering to add it here:

    report = assert_scope_isolation(
        app, alice.client, db,
        corp_ids=[corp.id],
        targets=[ScopeTarget("staff_id", StaffMember, foreign=[bob.id], visible=[alice_row.id])],
        sample_bodies={"update_staff": {"daily_add_cap": 1}},
    )

For every route with `{staff_id}`, every method and every corp id given, each foreign row must
answer 404 or 403. The list endpoint (the same path without `/{staff_id}`) must omit the
foreign rows on every page and, when `visible` rows are given, include them, and a GET of a
visible row must answer 200 — so a route that answers 404 to everyone cannot pass. Finally
the foreign rows must be unchanged in the database.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select

from siyu.db.base import Base
from siyu.db.session import Database

_PARAM = re.compile(r"{(\w+)(?::\w+)?}")
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass
class ScopeTarget:
    """Rows of `model` named by `{param}` in paths: `foreign` must stay out of reach,
    `visible` (optional, recommended) must stay reachable."""

    param: str
    model: type[Base]
    foreign: Sequence[uuid.UUID]
    visible: Sequence[uuid.UUID] = ()


@dataclass
class ScopeReport:
    denied: list[str] = field(default_factory=list)  # "PATCH /api/v1/... (corp …)"
    lists: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Route:
    path: str
    name: str
    methods: frozenset[str]
    body_model: Any

    @property
    def params(self) -> list[str]:
        return [match.group(1) for match in _PARAM.finditer(self.path)]


def api_routes(app: FastAPI) -> list[_Route]:
    routes = []
    for context in iter_route_contexts(app.routes):
        original = context.original_route
        if not isinstance(original, APIRoute) or context.path is None:
            continue
        body = original.body_field.field_info.annotation if original.body_field else None
        methods = frozenset(m for m in (context.methods or ()) if m in _METHODS)
        routes.append(_Route(context.path, str(context.name), methods, body))
    return routes


def _fill(path: str, values: Mapping[str, object]) -> str:
    def replace(match: re.Match[str]) -> str:
        return str(values.get(match.group(1), uuid.uuid4()))

    return _PARAM.sub(replace, path)


def _body(route: _Route, method: str, samples: Mapping[str, Any]) -> Any:
    if method in ("GET", "DELETE") or route.body_model is None:
        return None
    if route.name in samples:
        return samples[route.name]
    model = route.body_model
    required = [n for n, f in getattr(model, "model_fields", {}).items() if f.is_required()]
    if required:
        raise AssertionError(
            f"{route.name} needs a valid body to prove it refuses out-of-scope rows (a 422 "
            f"proves nothing); pass sample_bodies={{{route.name!r}: {{...}}}} "
            f"with {', '.join(required)}"
        )
    return {}


def _snapshot(
    db: Database, targets: Sequence[ScopeTarget]
) -> dict[tuple[str, str], dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    with db.transaction(write=False) as session:
        for target in targets:
            table = target.model.__table__
            pk = target.model.__mapper__.primary_key[0]
            for row in session.execute(select(table).where(pk.in_(list(target.foreign)))):
                rows[(table.name, str(row._mapping[pk.name]))] = dict(row._mapping)
    return rows


def _list_ids(client: TestClient, path: str) -> tuple[int, set[str]]:
    """All ids a list endpoint returns over every page (status of the first page)."""
    ids: set[str] = set()
    params: dict[str, str] = {}
    for _ in range(1000):
        response = client.get(path, params=params)
        if response.status_code != 200:
            return response.status_code, ids
        body = response.json()
        items = body["items"] if isinstance(body, dict) else body
        ids.update(str(item["id"]) for item in items if isinstance(item, dict) and "id" in item)
        cursor = body.get("next_cursor") if isinstance(body, dict) else None
        if not cursor:
            return 200, ids
        params = {"cursor": cursor}
    raise AssertionError(f"{path} never stopped paginating")


def assert_scope_isolation(
    app: FastAPI,
    client: TestClient,
    db: Database,
    *,
    corp_ids: Sequence[uuid.UUID],
    targets: Sequence[ScopeTarget],
    sample_bodies: Mapping[str, Any] | None = None,
    path_values: Mapping[str, object] | None = None,
) -> ScopeReport:
    """`corp_ids[0]` is the caller's own corp (visible rows are checked there); add others to
    try the same foreign ids under other corps' paths (cross-corp access)."""
    samples = sample_bodies or {}
    report = ScopeReport()
    before = _snapshot(db, targets)
    assert len(before) == sum(len(t.foreign) for t in targets), "foreign rows must exist"
    routes = api_routes(app)
    for target in targets:
        item_routes = [r for r in routes if target.param in r.params]
        assert item_routes, f"no route has a {{{target.param}}} path parameter"
        for route in item_routes:
            for method in sorted(route.methods):
                for corp_id in corp_ids:
                    for row_id in target.foreign:
                        values = {**(path_values or {}), "corp_id": corp_id, target.param: row_id}
                        path = _fill(route.path, values)
                        body = _body(route, method, samples)
                        response = client.request(method, path, json=body)
                        assert response.status_code != 422, (
                            f"{method} {route.path} ({route.name}) answered 422, which proves "
                            "nothing about scopes; pass a valid body in sample_bodies: "
                            f"{response.text[:300]}"
                        )
                        assert response.status_code in (403, 404), (
                            f"{method} {route.path} ({route.name}) reached an out-of-scope "
                            f"row: {response.status_code} {response.text[:300]}"
                        )
                        report.denied.append(f"{method} {path}")
            if "GET" in route.methods and target.visible:
                values = {
                    **(path_values or {}),
                    "corp_id": corp_ids[0],
                    target.param: target.visible[0],
                }
                response = client.get(_fill(route.path, values))
                assert response.status_code == 200, (
                    f"GET {route.path} refused an in-scope row, so its 404s prove nothing: "
                    f"{response.status_code} {response.text[:300]}"
                )
        _check_lists(client, routes, target, corp_ids, path_values or {}, report)
    after = _snapshot(db, targets)
    assert after == before, "an out-of-scope row was changed"
    return report


def _check_lists(
    client: TestClient,
    routes: Sequence[_Route],
    target: ScopeTarget,
    corp_ids: Sequence[uuid.UUID],
    path_values: Mapping[str, object],
    report: ScopeReport,
) -> None:
    suffix = f"/{{{target.param}}}"
    list_paths = {r.path.removesuffix(suffix) for r in routes if r.path.endswith(suffix)}
    lists = [r for r in routes if "GET" in r.methods and r.path in list_paths]
    assert lists, f"no list endpoint found for {{{target.param}}}"
    foreign = {str(i) for i in target.foreign}
    for route in lists:
        for index, corp_id in enumerate(corp_ids):
            path = _fill(route.path, {**path_values, "corp_id": corp_id})
            status, ids = _list_ids(client, path)
            assert status in (200, 403, 404), f"GET {path}: {status}"
            leaked = ids & foreign
            assert not leaked, f"GET {route.path} ({route.name}) listed out-of-scope rows {leaked}"
            if index == 0 and target.visible:
                missing = {str(i) for i in target.visible} - ids
                assert status == 200 and not missing, (
                    f"GET {route.path} did not list in-scope rows {missing} (status {status}), "
                    "so its omissions prove nothing"
                )
            report.lists.append(f"GET {path}")
