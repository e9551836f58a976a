/** Audit service: who did what in a corp, newest first. */
import { api, unwrap } from '@/api/client'
import type { ResponseBody } from '@/api/types'

export type AuditEventPage = ResponseBody<'/api/v1/corps/{corp_id}/audit-events', 'get'>
export type AuditEvent = AuditEventPage['items'][number]

export function listAuditEvents(
  corpId: string,
  query: { cursor?: string | null; limit?: number; action?: string } = {},
): Promise<AuditEventPage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/audit-events', {
      params: {
        path: { corp_id: corpId },
        query: {
          cursor: query.cursor ?? undefined,
          limit: query.limit,
          action: query.action || undefined,
        },
      },
    }),
  )
}
