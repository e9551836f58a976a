/** Staff service: the corp's WeCom members as synced by the backend. */
import { api, unwrap } from '@/api/client'
import type { ResponseBody } from '@/api/types'

export type StaffPage = ResponseBody<'/api/v1/corps/{corp_id}/staff', 'get'>
export type StaffMember = StaffPage['items'][number]

export interface StaffQuery {
  cursor?: string | null
  limit?: number
  q?: string
}

export function listStaff(corpId: string, query: StaffQuery = {}): Promise<StaffPage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/staff', {
      params: {
        path: { corp_id: corpId },
        query: {
          cursor: query.cursor ?? undefined,
          limit: query.limit,
          q: query.q || undefined,
        },
      },
    }),
  )
}
