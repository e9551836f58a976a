/** Customers service: WeCom external contacts and their follow relations with staff. */
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import type { ResponseBody } from '@/api/types'

export type CustomerPage = ResponseBody<'/api/v1/corps/{corp_id}/customers', 'get'>
export type Customer = CustomerPage['items'][number]
export type CustomerDetail = ResponseBody<'/api/v1/corps/{corp_id}/customers/{customer_id}', 'get'>
export type FollowRelation = CustomerDetail['relations'][number]

export function listCustomers(
  corpId: string,
  query: {
    cursor?: string | null
    limit?: number
    status?: 'active' | 'lost' | null
    tagIds?: string[]
    staffUserid?: string | null
    channel?: string | null
    q?: string | null
    segmentId?: string | null
  } = {},
): Promise<CustomerPage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/customers', {
      params: {
        path: { corp_id: corpId },
        query: {
          cursor: query.cursor ?? undefined,
          limit: query.limit,
          status: query.status ?? undefined,
          tag_id: query.tagIds?.length ? query.tagIds : undefined,
          staff_userid: query.staffUserid || undefined,
          channel: query.channel || undefined,
          q: query.q || undefined,
          segment_id: query.segmentId || undefined,
        },
      },
    }),
  )
}

export type CustomerExport = components['schemas']['Export']

/** Queue an export of the list as filtered (same filters as `listCustomers`). */
export function exportCustomers(
  corpId: string,
  filters: {
    status?: 'active' | 'lost' | null
    tagIds?: string[]
    staffUserid?: string | null
    channel?: string | null
    q?: string | null
    segmentId?: string | null
  },
): Promise<CustomerExport> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/customers/export', {
      params: { path: { corp_id: corpId } },
      body: {
        status: filters.status ?? null,
        tag_ids: filters.tagIds ?? [],
        staff_userid: filters.staffUserid || null,
        channel: filters.channel || null,
        q: filters.q || null,
        segment_id: filters.segmentId || null,
      },
    }),
  )
}

export function getCustomer(corpId: string, customerId: string): Promise<CustomerDetail> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/customers/{customer_id}', {
      params: { path: { corp_id: corpId, customer_id: customerId } },
    }),
  )
}
