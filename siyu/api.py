"""The versioned REST API: every domain's router under `/api/v1`."""

from __future__ import annotations

import functools

from fastapi import APIRouter


@functools.cache
def build_api_router() -> APIRouter:
    """Built once per process. FastAPI analyses every route's parameters and dependencies when
    an app first includes a router (about half a second for this API, on every `create_app`);
    the routes hold nothing of an app (handlers find the runtime through `request.app`), so the
    apps of one process (a test run builds hundreds) share one router and that analysis."""
    router = APIRouter(prefix="/api/v1")
    # Domains register here as they are built (imports are local so the app factory decides).
    from siyu.acquisition.report_routes import router as acquisition_reports_router
    from siyu.acquisition.routes import router as acquisition_router
    from siyu.audit.routes import router as audit_router
    from siyu.auth.corp_routes import router as auth_corp_router
    from siyu.auth.routes import router as auth_router
    from siyu.corps.routes import router as corps_router
    from siyu.customers.imports.routes import router as imports_router
    from siyu.customers.routes import router as customers_router
    from siyu.duplicates.routes import router as duplicates_router
    from siyu.exports.routes import router as exports_router
    from siyu.groupcodes.public import router as groupcodes_public_router
    from siyu.groupcodes.routes import router as groupcodes_router
    from siyu.groups.routes import router as groups_router
    from siyu.identity.routes import router as identity_router
    from siyu.inbox.routes import router as inbox_router
    from siyu.lost.routes import router as lost_router
    from siyu.materials.routes import router as materials_router
    from siyu.messaging.routes import router as messaging_router
    from siyu.moments.routes import router as moments_router
    from siyu.profile.customer_routes import router as profile_customer_router
    from siyu.profile.routes import router as profile_router
    from siyu.replies.routes import router as replies_router
    from siyu.segments.routes import router as segments_router
    from siyu.staff.routes import router as staff_router
    from siyu.sync.routes import router as sync_router
    from siyu.tags.bulk.routes import router as tag_jobs_router
    from siyu.tags.routes import router as tags_router
    from siyu.wecom.routes import router as wecom_router

    router.include_router(auth_router)
    router.include_router(corps_router)
    router.include_router(auth_corp_router)
    router.include_router(staff_router)
    router.include_router(audit_router)
    router.include_router(exports_router)
    router.include_router(customers_router)
    router.include_router(identity_router)
    router.include_router(imports_router)
    router.include_router(tags_router)
    router.include_router(segments_router)
    router.include_router(tag_jobs_router)
    router.include_router(groups_router)
    router.include_router(groupcodes_router)
    router.include_router(groupcodes_public_router)
    router.include_router(inbox_router)
    router.include_router(wecom_router)
    router.include_router(sync_router)
    router.include_router(profile_router)
    router.include_router(profile_customer_router)
    router.include_router(lost_router)
    router.include_router(duplicates_router)
    router.include_router(acquisition_router)
    router.include_router(acquisition_reports_router)
    router.include_router(materials_router)
    router.include_router(replies_router)
    router.include_router(moments_router)
    router.include_router(messaging_router)
    return router
