"""Lost-customer API schemas."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import Field

from siyu.kit.pagination import Page
from siyu.kit.schemas import InputSchema, OutputSchema

DeletedBy = Literal["customer", "staff"]


class LostCustomer(OutputSchema):
    id: uuid.UUID = Field(description="The follow relation")
    customer_id: uuid.UUID
    customer_name: str
    external_userid: str | None
    staff_userid: str
    deleted_by: DeletedBy = Field(description="customer: the customer deleted the staff member")
    deleted_at: datetime
    delete_source: str | None
    state: str | None = Field(description="The channel the relation came through")


class LostDailyCount(OutputSchema):
    day: date
    group: str = Field(description="The staff userid, or the WeCom department id as text")
    deleted_by: DeletedBy
    count: int


class LostAlertSettings(OutputSchema):
    enabled: bool
    agent_id: int | None
    notify_managers: bool
    batch_minutes: int


class LostAlertSettingsUpdate(InputSchema):
    enabled: bool | None = None
    agent_id: int | None = Field(default=None, ge=0)
    notify_managers: bool | None = None
    batch_minutes: int | None = Field(default=None, ge=0, le=24 * 60)


LostCustomerPage = Page[LostCustomer]
