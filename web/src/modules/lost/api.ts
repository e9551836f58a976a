/** Lost customers: the list, daily counts and the alert settings. */
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'

type Schemas = components['schemas']
export type LostCustomerPage = Schemas['Page_LostCustomer_']
export type LostCustomer = Schemas['LostCustomer']
export type LostDailyCount = Schemas['LostDailyCount']
export type LostAlertSettings = Schemas['LostAlertSettings']

export interface LostQuery {
  since: string
  until: string
  deleted_by?: 'customer' | 'staff' | null
  staff_userid?: string | null
}

export function listLost(corpId: string, query: LostQuery, cursor: string | null): Promise<LostCustomerPage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/lost-customers', {
      params: {
        path: { corp_id: corpId },
        query: {
          since: query.since,
          until: query.until,
          deleted_by: query.deleted_by ?? undefined,
          staff_userid: query.staff_userid || undefined,
          cursor: cursor ?? undefined,
        },
      },
    }),
  )
}

export function lostDaily(
  corpId: string,
  query: LostQuery,
  groupBy: 'staff' | 'department',
): Promise<LostDailyCount[]> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/lost-customers/daily', {
      params: {
        path: { corp_id: corpId },
        query: { since: query.since, until: query.until, group_by: groupBy, deleted_by: query.deleted_by ?? undefined },
      },
    }),
  )
}

export function getAlertSettings(corpId: string): Promise<LostAlertSettings> {
  return unwrap(api.GET('/api/v1/corps/{corp_id}/lost-alert-settings', { params: { path: { corp_id: corpId } } }))
}

export function saveAlertSettings(corpId: string, body: LostAlertSettings): Promise<LostAlertSettings> {
  return unwrap(
    api.PUT('/api/v1/corps/{corp_id}/lost-alert-settings', { params: { path: { corp_id: corpId } }, body }),
  )
}
