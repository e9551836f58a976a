"""Imports every ORM model so `Base.metadata` is complete (Alembic, tests)."""

from siyu.acquisition import models as acquisition_models
from siyu.audit import models as audit_models
from siyu.auth import models as auth_models
from siyu.corps import models as corps_models
from siyu.customers import models as customers_models
from siyu.customers.imports import models as imports_models
from siyu.events import models as events_models
from siyu.exports import models as exports_models
from siyu.groupcodes import models as groupcodes_models
from siyu.groups import models as groups_models
from siyu.identity import models as identity_models
from siyu.inbox import models as inbox_models
from siyu.jobs import models as jobs_models
from siyu.lost import models as lost_models
from siyu.materials import models as materials_models
from siyu.messaging import models as messaging_models
from siyu.moments import models as moments_models
from siyu.profile import models as profile_models
from siyu.replies import models as replies_models
from siyu.segments import models as segments_models
from siyu.staff import models as staff_models
from siyu.sync import models as sync_models
from siyu.tags import changes as tag_changes_models
from siyu.tags import models as tags_models
from siyu.tags.bulk import models as tag_bulk_models
from siyu.wecom import models as wecom_models

__all__ = [
    "acquisition_models",
    "audit_models",
    "auth_models",
    "corps_models",
    "customers_models",
    "events_models",
    "exports_models",
    "groupcodes_models",
    "groups_models",
    "identity_models",
    "imports_models",
    "inbox_models",
    "jobs_models",
    "lost_models",
    "materials_models",
    "moments_models",
    "messaging_models",
    "profile_models",
    "replies_models",
    "segments_models",
    "staff_models",
    "sync_models",
    "tag_bulk_models",
    "tag_changes_models",
    "tags_models",
    "wecom_models",
]
