/** Inbox service: stored WeCom callbacks, their handling, replay and re-drive. */
import { api, unwrap } from '@/api/client'
import type { ResponseBody } from '@/api/types'

export type InboxPage = ResponseBody<'/api/v1/corps/{corp_id}/inbox', 'get'>
export type InboxEvent = InboxPage['items'][number]
export type InboxEventDetail = ResponseBody<'/api/v1/corps/{corp_id}/inbox/{event_id}', 'get'>
export type InboxStatus = 'pending' | 'handled' | 'failed' | 'dead' | 'unsupported'

export interface InboxQuery {
  cursor?: string | null
  limit?: number
  status?: InboxStatus | null
  event?: string
  changeType?: string
}

export function listInbox(corpId: string, query: InboxQuery = {}): Promise<InboxPage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/inbox', {
      params: {
        path: { corp_id: corpId },
        query: {
          cursor: query.cursor ?? undefined,
          limit: query.limit,
          status: query.status ?? undefined,
          event: query.event || undefined,
          change_type: query.changeType || undefined,
        },
      },
    }),
  )
}

export function getInboxEvent(corpId: string, eventId: string): Promise<InboxEventDetail> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/inbox/{event_id}', {
      params: { path: { corp_id: corpId, event_id: eventId } },
    }),
  )
}

export function replayInboxEvent(corpId: string, eventId: string): Promise<InboxEvent> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/inbox/{event_id}/replay', {
      params: { path: { corp_id: corpId, event_id: eventId } },
    }),
  )
}

export function redriveInbox(corpId: string): Promise<{ redriven: number }> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/inbox/redrive', { params: { path: { corp_id: corpId } } }),
  )
}
