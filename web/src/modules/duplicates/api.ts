/** Duplicates: people followed by several staff members, their primary owner, the export. */
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'

type Schemas = components['schemas']
export type DuplicatePage = Schemas['Page_DuplicateCustomer_']
export type DuplicateCustomer = Schemas['DuplicateCustomer']

export function listDuplicates(corpId: string, cursor: string | null): Promise<DuplicatePage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/duplicate-customers', {
      params: { path: { corp_id: corpId }, query: { cursor: cursor ?? undefined } },
    }),
  )
}

export function countDuplicates(corpId: string): Promise<{ count: number }> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/duplicate-customers/count', { params: { path: { corp_id: corpId } } }),
  )
}

export function setPrimaryStaff(corpId: string, customerId: string, staffUserid: string): Promise<unknown> {
  return unwrap(
    api.PUT('/api/v1/corps/{corp_id}/customers/{customer_id}/primary-staff', {
      params: { path: { corp_id: corpId, customer_id: customerId } },
      body: { staff_userid: staffUserid },
    }),
  )
}

export function exportDuplicates(corpId: string): Promise<{ id: string }> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/exports', {
      params: { path: { corp_id: corpId } },
      body: { kind: 'duplicate_customers', params: {} },
    }),
  ) as Promise<{ id: string }>
}
