"""Valid bodies for every write route under /customers/{customer_id}, for the scope helper.

Each domain that adds such a route adds its body here, so every scope test (customers,
identity, profile) proves isolation over all of them: a 422 would prove nothing.
"""

from __future__ import annotations

import uuid
from typing import Any


def customer_write_bodies(visible_customer_id: uuid.UUID) -> dict[str, Any]:
    return {
        "mark_customer_tags": {"userid": "bob", "add": [str(uuid.uuid4())]},
        "merge_customer": {"merged_id": str(visible_customer_id)},
        "split_customer": {"identity_ids": [str(uuid.uuid4())]},
        "update_customer_field_values": {"values": {}},
        "set_customer_stage": {"stage_id": None},
        "create_follow_up": {"content": "跟进"},
        "set_primary_staff": {"staff_userid": "bob"},
    }
