/** WeCom call journal service: every call Siyu made to WeCom, newest first. */
import { api, unwrap } from '@/api/client'
import type { ResponseBody } from '@/api/types'

export type WeComCallPage = ResponseBody<'/api/v1/corps/{corp_id}/wecom/calls', 'get'>
export type WeComCall = WeComCallPage['items'][number]

export function listWecomCalls(
  corpId: string,
  query: { cursor?: string | null; limit?: number; api?: string; errcode?: number | null } = {},
): Promise<WeComCallPage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/wecom/calls', {
      params: {
        path: { corp_id: corpId },
        query: {
          cursor: query.cursor ?? undefined,
          limit: query.limit,
          api: query.api || undefined,
          errcode: query.errcode ?? undefined,
        },
      },
    }),
  )
}
