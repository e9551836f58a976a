/** Staff service: the corp's WeCom members and departments as synced by the backend. */
import { api, unwrap } from '@/api/client'
import type { ResponseBody } from '@/api/types'

export type StaffPage = ResponseBody<'/api/v1/corps/{corp_id}/staff', 'get'>
export type StaffMember = StaffPage['items'][number]
export type Department = ResponseBody<'/api/v1/corps/{corp_id}/departments', 'get'>[number]

export interface StaffQuery {
  cursor?: string | null
  limit?: number
  /** Part of a name or userid. */
  name?: string
  /** WeCom department id. */
  departmentId?: number | null
}

export function listStaff(corpId: string, query: StaffQuery = {}): Promise<StaffPage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/staff', {
      params: {
        path: { corp_id: corpId },
        query: {
          cursor: query.cursor ?? undefined,
          limit: query.limit,
          name: query.name || undefined,
          department_id: query.departmentId ?? undefined,
        },
      },
    }),
  )
}

export function listDepartments(corpId: string): Promise<Department[]> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/departments', { params: { path: { corp_id: corpId } } }),
  )
}
