"""The /sandbox/ control API: not part of WeCom's surface (documented in docs/sandbox.md).

Create corps, staff and customers; trigger behaviours; inspect state; inject faults; move time.
Errors answer 4xx with {"error": ..., "errcode": ...}.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from siyu.sandbox.actions import ACTION_TABLE
from siyu.sandbox.callbacks import verify_callback_url
from siyu.sandbox.live import LiveDriver
from siyu.sandbox.models import Corp, Department
from siyu.sandbox.persistence import save_state
from siyu.sandbox.state import SandboxState
from siyu.sandbox.world import generate_world, make_customer, make_staff
from siyu.wecom.errors import WeComError


class ControlError(Exception):
    def __init__(self, status: int, message: str, errcode: int | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errcode = status, message, errcode


def _json(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")
    return Response(body, status_code=status, media_type="application/json")


def corp_credentials(corp: Corp) -> dict[str, Any]:
    return {
        "corp_id": corp.corp_id,
        "name": corp.name,
        "secret": corp.secret,
        "agentid": corp.agentid,
        "callback_token": corp.callback_token,
        "encoding_aes_key": corp.encoding_aes_key,
        "callback_url": corp.callback_url,
        "counts": {
            "staff": len(corp.staff),
            "customers": len(corp.customers),
            "groups": len(corp.groups),
            "tags": len(corp.tags),
        },
    }


Handler = Callable[[Request, dict[str, Any]], Awaitable[Any]]


def control_routes(state: SandboxState) -> list[Route]:
    lives = state.live_drivers

    def corp_of(request: Request) -> Corp:
        corp = state.corps.get(request.path_params["corp_id"])
        if corp is None:
            raise ControlError(404, f"unknown corp {request.path_params['corp_id']}")
        return corp

    def wrap(fn: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            body: dict[str, Any] = {}
            if request.method in ("POST", "PUT"):
                raw = await request.body()
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    return _json({"error": "body is not JSON"}, 400)
                if not isinstance(body, dict):
                    return _json({"error": "body must be a JSON object"}, 400)
            try:
                return _json(await fn(request, body))
            except ControlError as exc:
                return _json({"error": exc.message, "errcode": exc.errcode}, exc.status)
            except WeComError as exc:
                return _json({"error": exc.text, "errcode": exc.errcode}, 409)
            except KeyError as exc:
                return _json({"error": f"missing field: {exc.args[0]}"}, 400)
            except (ValueError, TypeError) as exc:
                return _json({"error": str(exc)}, 400)

        return endpoint

    async def list_corps(_request: Request, _body: dict[str, Any]) -> Any:
        with state.lock:
            return {"corps": [corp_credentials(c) for c in state.corps.values()]}

    async def create_corp(_request: Request, body: dict[str, Any]) -> Any:
        allowed = {"corp_id", "name", "secret", "agentid", "callback_token", "encoding_aes_key"}
        with state.lock:
            corp = state.create_corp(**{k: v for k, v in body.items() if k in allowed})
            corp.departments.setdefault(1, Department(1, corp.name))
        if body.get("callback_url"):
            await set_callback_for(corp, body["callback_url"])
        return corp_credentials(corp)

    async def get_corp(request: Request, _body: dict[str, Any]) -> Any:
        with state.lock:
            return corp_credentials(corp_of(request))

    async def set_callback_for(corp: Corp, url: str) -> dict[str, Any]:
        if not url:
            corp.callback_url = ""
            return {"ok": True, "detail": "callbacks off"}
        ok, detail = await run_in_threadpool(
            verify_callback_url,
            url,
            token=corp.callback_token,
            encoding_aes_key=corp.encoding_aes_key,
            corp_id=corp.corp_id,
        )
        if not ok:
            raise ControlError(400, f"URL verification failed: {detail}")
        corp.callback_url = url
        return {"ok": True, "detail": detail}

    async def set_callback(request: Request, body: dict[str, Any]) -> Any:
        return await set_callback_for(corp_of(request), str(body.get("url", "")))

    async def add_department(request: Request, body: dict[str, Any]) -> Any:
        with state.lock:
            corp = corp_of(request)
            dept_id = int(body.get("id") or max(corp.departments, default=0) + 1)
            corp.departments[dept_id] = Department(
                dept_id, str(body.get("name", f"部门{dept_id}")), int(body.get("parentid", 1))
            )
            return {"id": dept_id}

    async def add_staff(request: Request, body: dict[str, Any]) -> Any:
        with state.lock:
            corp = corp_of(request)
            corp.departments.setdefault(1, Department(1, corp.name))
            staff = make_staff(state.rng, corp, len(corp.staff))
            staff.userid = str(body.get("userid") or staff.userid)
            if staff.userid in corp.staff:
                raise ControlError(409, f"staff {staff.userid} exists")
            staff.name = str(body.get("name") or staff.name)
            staff.department = [int(d) for d in body.get("department", staff.department)]
            staff.can_follow = bool(body.get("can_follow", True))
            corp.staff[staff.userid] = staff
            return {"userid": staff.userid, "name": staff.name, "department": staff.department}

    async def add_customer(request: Request, body: dict[str, Any]) -> Any:
        with state.lock:
            corp = corp_of(request)
            customer = make_customer(state.rng, state.now())
            for key in ("external_userid", "name", "unionid", "phone", "gender"):
                if key in body:
                    setattr(customer, key, body[key])
            if customer.external_userid in corp.customers:
                raise ControlError(409, f"customer {customer.external_userid} exists")
            corp.customers[customer.external_userid] = customer
            corp.unionids[customer.unionid] = customer.external_userid
            return {
                "external_userid": customer.external_userid,
                "name": customer.name,
                "unionid": customer.unionid,
            }

    async def world(request: Request, body: dict[str, Any]) -> Any:
        allowed = {
            "seed",
            "customers",
            "staff",
            "departments",
            "groups",
            "history_days",
            "second_follow_rate",
            "tag_rate",
        }
        with state.lock:
            return generate_world(
                state, corp_of(request), **{k: v for k, v in body.items() if k in allowed}
            )

    async def action(request: Request, body: dict[str, Any]) -> Any:
        name = request.path_params["action"]
        fn = ACTION_TABLE.get(name)
        if fn is None:
            raise ControlError(404, f"unknown action {name}; known: {sorted(ACTION_TABLE)}")
        with state.lock:
            return fn(state, corp_of(request), body)

    async def welcomes(request: Request, _body: dict[str, Any]) -> Any:
        with state.lock:
            corp = corp_of(request)
            codes = [
                {
                    "welcome_code": c.code,
                    "userid": c.userid,
                    "external_userid": c.external_userid,
                    "issued_at": c.issued_at,
                    "used_at": c.used_at,
                }
                for c in corp.welcome_codes.values()
            ]
            return {"welcomes": list(corp.welcomes), "codes": codes}

    async def tasks(request: Request, _body: dict[str, Any]) -> Any:
        with state.lock:
            corp = corp_of(request)
            mass = [
                {"msgid": m.msgid, "userid": u, **t, "cancelled": m.cancelled}
                for m in corp.mass_messages.values()
                for u, t in m.tasks.items()
            ]
            moments = [
                {"moment_id": m.moment_id, "userid": u, **t}
                for m in corp.moments.values()
                for u, t in m.tasks.items()
            ]
            transfers = [
                {
                    "external_userid": t.external_userid,
                    "handover_userid": t.handover_userid,
                    "takeover_userid": t.takeover_userid,
                    "status": t.status,
                    "started_at": t.started_at,
                }
                for t in corp.transfers.values()
            ]
            return {
                "mass": mass,
                "moments": moments,
                "transfers": transfers,
                "scheduled": state.pending(corp.corp_id),
            }

    async def callbacks(request: Request, _body: dict[str, Any]) -> Any:
        corp = corp_of(request)
        return {"callbacks": state.emitter.log(corp.corp_id) if state.emitter else []}

    async def inspect_customer(request: Request, _body: dict[str, Any]) -> Any:
        with state.lock:
            customer = corp_of(request).customers.get(request.path_params["external_userid"])
            if customer is None:
                raise ControlError(404, "unknown customer")
            return {
                "external_userid": customer.external_userid,
                "name": customer.name,
                "unionid": customer.unionid,
                "phone": customer.phone,
                "chatting": customer.chatting,
                "received": customer.received,
                "follows": [
                    {
                        "userid": f.userid,
                        "state": f.state,
                        "tags": f.tags,
                        "remark": f.remark,
                        "deleted_by_customer": f.deleted_by_customer,
                        "createtime": f.createtime,
                    }
                    for f in customer.follows.values()
                ],
            }

    async def revoke_tokens(request: Request, _body: dict[str, Any]) -> Any:
        with state.lock:
            corp = corp_of(request)
            revoked = [t for t, (cid, _) in state.tokens.items() if cid == corp.corp_id]
            for token in revoked:
                del state.tokens[token]
            corp.current_token = ""
            return {"revoked": len(revoked)}

    def settings_route(obj_name: str) -> Handler:
        async def handler(request: Request, body: dict[str, Any]) -> Any:
            obj = getattr(state, obj_name)
            with state.lock:
                if request.method == "PUT":
                    (obj.configure if obj_name == "faults" else obj.update)(body)
                return obj.describe() if obj_name == "faults" else obj.as_dict()

        return handler

    async def clock(request: Request, body: dict[str, Any]) -> Any:
        if request.method == "POST":
            if "freeze" in body:
                (state.clock.freeze if body["freeze"] else state.clock.unfreeze)()
            if "set" in body:
                state.clock.set(float(body["set"]))
            if "advance" in body:
                state.clock.advance(float(body["advance"]))
            for driver in lives.values():
                if driver.running:
                    driver.tick()
            ran = state.run_due()
            return state.clock.describe() | {"ran": ran}
        return state.clock.describe()

    async def drain(_request: Request, body: dict[str, Any]) -> Any:
        if state.emitter is None:
            return {"drained": True}
        done = await run_in_threadpool(state.emitter.drain, float(body.get("timeout", 30)))
        return {"drained": done}

    async def live(request: Request, body: dict[str, Any]) -> Any:
        if request.method == "POST":
            corp_id = str(body["corp_id"])
            if corp_id not in state.corps:
                raise ControlError(404, f"unknown corp {corp_id}")
            driver = lives.get(corp_id)
            if driver is None:
                driver = lives[corp_id] = LiveDriver(state, corp_id)
            driver.rate_per_minute = float(body.get("rate_per_minute", driver.rate_per_minute))
            driver.join_probability = float(body.get("join_probability", driver.join_probability))
            if body.get("running", True):
                driver.start()
            else:
                driver.stop()
        return {"drivers": [d.describe() for d in lives.values()]}

    async def save(_request: Request, _body: dict[str, Any]) -> Any:
        path = state.state_file
        if not path:
            raise ControlError(400, "the sandbox runs in memory; start it with --state-file")
        with state.lock:
            return {"saved": str(path), "bytes": save_state(state, path)}

    r = Route
    return [
        r("/sandbox/corps", wrap(list_corps), methods=["GET"]),
        r("/sandbox/corps", wrap(create_corp), methods=["POST"]),
        r("/sandbox/corps/{corp_id}", wrap(get_corp), methods=["GET"]),
        r("/sandbox/corps/{corp_id}/callback", wrap(set_callback), methods=["POST"]),
        r("/sandbox/corps/{corp_id}/departments", wrap(add_department), methods=["POST"]),
        r("/sandbox/corps/{corp_id}/staff", wrap(add_staff), methods=["POST"]),
        r("/sandbox/corps/{corp_id}/customers", wrap(add_customer), methods=["POST"]),
        r(
            "/sandbox/corps/{corp_id}/customers/{external_userid}",
            wrap(inspect_customer),
            methods=["GET"],
        ),
        r("/sandbox/corps/{corp_id}/world", wrap(world), methods=["POST"]),
        r("/sandbox/corps/{corp_id}/actions/{action}", wrap(action), methods=["POST"]),
        r("/sandbox/corps/{corp_id}/welcomes", wrap(welcomes), methods=["GET"]),
        r("/sandbox/corps/{corp_id}/tasks", wrap(tasks), methods=["GET"]),
        r("/sandbox/corps/{corp_id}/callbacks", wrap(callbacks), methods=["GET"]),
        r("/sandbox/corps/{corp_id}/tokens/revoke", wrap(revoke_tokens), methods=["POST"]),
        r("/sandbox/rules", wrap(settings_route("rules")), methods=["GET", "PUT"]),
        r("/sandbox/behaviour", wrap(settings_route("behaviour")), methods=["GET", "PUT"]),
        r("/sandbox/faults", wrap(settings_route("faults")), methods=["GET", "PUT"]),
        r("/sandbox/clock", wrap(clock), methods=["GET", "POST"]),
        r("/sandbox/callbacks/drain", wrap(drain), methods=["POST"]),
        r("/sandbox/live", wrap(live), methods=["GET", "POST"]),
        r("/sandbox/save", wrap(save), methods=["POST"]),
    ]
