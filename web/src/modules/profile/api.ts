/** Profile service: custom fields, sales stages, follow-ups and the timeline of a customer. */
import { api, unwrap } from '@/api/client'
import type { RequestBody } from '@/api/types'
import type { components } from '@/api/schema'

type Schemas = components['schemas']
export type CustomerField = Schemas['CustomerField']
export type CustomerFieldCreate = RequestBody<'/api/v1/corps/{corp_id}/customer-fields', 'post'>
export type FieldValue = Schemas['CustomerFieldValue']
export type SalesStage = Schemas['SalesStage']
export type StageDailyCount = Schemas['StageDailyCount']
export type FollowUp = Schemas['FollowUp']
export type FollowUpCreate = RequestBody<'/api/v1/corps/{corp_id}/customers/{customer_id}/follow-ups', 'post'>
export type TimelineEntry = Schemas['TimelineEntry']
export type FollowUpPage = Schemas['Page_FollowUp_']
export type TimelinePage = Schemas['Page_TimelineEntry_']

const corpPath = (corpId: string) => ({ path: { corp_id: corpId } })
const customerPath = (corpId: string, customerId: string) => ({
  path: { corp_id: corpId, customer_id: customerId },
})

export function listFields(corpId: string): Promise<CustomerField[]> {
  return unwrap(api.GET('/api/v1/corps/{corp_id}/customer-fields', { params: corpPath(corpId) }))
}

export function createField(corpId: string, body: CustomerFieldCreate): Promise<CustomerField> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/customer-fields', { params: corpPath(corpId), body }),
  )
}

export function deleteField(corpId: string, fieldId: string): Promise<unknown> {
  return unwrap(
    api.DELETE('/api/v1/corps/{corp_id}/customer-fields/{field_id}', {
      params: { path: { corp_id: corpId, field_id: fieldId } },
    }),
  )
}

export function listStages(corpId: string): Promise<SalesStage[]> {
  return unwrap(api.GET('/api/v1/corps/{corp_id}/sales-stages', { params: corpPath(corpId) }))
}

export function createStage(
  corpId: string,
  body: { key: string; name: string; position: number; is_final: boolean },
): Promise<SalesStage> {
  return unwrap(api.POST('/api/v1/corps/{corp_id}/sales-stages', { params: corpPath(corpId), body }))
}

export function deleteStage(corpId: string, stageId: string): Promise<unknown> {
  return unwrap(
    api.DELETE('/api/v1/corps/{corp_id}/sales-stages/{stage_id}', {
      params: { path: { corp_id: corpId, stage_id: stageId } },
    }),
  )
}

/** Without `staff`, one row per day and stage summed over the staff in the caller's scope. */
export function stageCounts(
  corpId: string,
  since: string,
  until: string,
  staff: string | null,
): Promise<StageDailyCount[]> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/stage-counts', {
      params: {
        path: { corp_id: corpId },
        query: { since, until, staff_userid: staff || undefined, per_staff: Boolean(staff) },
      },
    }),
  )
}

export function getFieldValues(corpId: string, customerId: string): Promise<FieldValue[]> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/customers/{customer_id}/fields', {
      params: customerPath(corpId, customerId),
    }),
  )
}

export function setFieldValues(
  corpId: string,
  customerId: string,
  values: Record<string, unknown>,
): Promise<FieldValue[]> {
  return unwrap(
    api.PUT('/api/v1/corps/{corp_id}/customers/{customer_id}/fields', {
      params: customerPath(corpId, customerId),
      body: { values },
    }),
  )
}

export function setStage(corpId: string, customerId: string, stageId: string | null): Promise<unknown> {
  return unwrap(
    api.PUT('/api/v1/corps/{corp_id}/customers/{customer_id}/stage', {
      params: customerPath(corpId, customerId),
      body: { stage_id: stageId },
    }),
  )
}

export function listFollowUps(corpId: string, customerId: string, cursor: string | null): Promise<FollowUpPage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/customers/{customer_id}/follow-ups', {
      params: { ...customerPath(corpId, customerId), query: { cursor: cursor ?? undefined } },
    }),
  )
}

export function addFollowUp(corpId: string, customerId: string, body: FollowUpCreate): Promise<FollowUp> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/customers/{customer_id}/follow-ups', {
      params: customerPath(corpId, customerId),
      body,
    }),
  )
}

export function listTimeline(corpId: string, customerId: string, cursor: string | null): Promise<TimelinePage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/customers/{customer_id}/timeline', {
      params: { ...customerPath(corpId, customerId), query: { cursor: cursor ?? undefined } },
    }),
  )
}
