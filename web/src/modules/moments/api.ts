/** Moments service: company moment posts, their per-staff status, reminders, WeCom's list. */
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import type { ResponseBody } from '@/api/types'

export type MomentPage = ResponseBody<'/api/v1/corps/{corp_id}/moments', 'get'>
export type MomentRow = MomentPage['items'][number]
export type MomentDetail = ResponseBody<'/api/v1/corps/{corp_id}/moments/{post_id}', 'get'>
export type MomentCreate = components['schemas']['MomentCreate']
export type MomentAttachment = components['schemas']['MomentAttachment']
export type WeComMomentPage = ResponseBody<'/api/v1/corps/{corp_id}/moments/wecom', 'get'>

export function listMoments(
  corpId: string,
  query: { cursor?: string | null; limit?: number } = {},
): Promise<MomentPage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/moments', {
      params: { path: { corp_id: corpId }, query: { cursor: query.cursor ?? undefined, limit: query.limit } },
    }),
  )
}

export function getMoment(corpId: string, postId: string): Promise<MomentDetail> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/moments/{post_id}', {
      params: { path: { corp_id: corpId, post_id: postId } },
    }),
  )
}

export function createMoment(corpId: string, body: MomentCreate): Promise<unknown> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/moments', { params: { path: { corp_id: corpId } }, body }),
  )
}

export function cancelMoment(corpId: string, postId: string): Promise<unknown> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/moments/{post_id}/cancel', {
      params: { path: { corp_id: corpId, post_id: postId } },
    }),
  )
}

export function remindMoment(corpId: string, postId: string): Promise<unknown> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/moments/{post_id}/reminders', {
      params: { path: { corp_id: corpId, post_id: postId } },
    }),
  )
}

export function listWeComMoments(
  corpId: string,
  query: { since: string; until: string; cursor?: string | null },
): Promise<WeComMomentPage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/moments/wecom', {
      params: {
        path: { corp_id: corpId },
        query: { since: query.since, until: query.until, cursor: query.cursor ?? undefined },
      },
    }),
  )
}
