/** Scripts library: reply groups, replies (search, keyset pages), variables and rendering. */
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'

type Schemas = components['schemas']
export type Reply = Schemas['Reply']
export type ReplyCreate = Schemas['ReplyCreate']
export type ReplyUpdate = Schemas['ReplyUpdate']
export type ReplyGroup = Schemas['ReplyGroup']
export type ReplyVariable = Schemas['ReplyVariable']
export type RenderedReply = Schemas['RenderedReply']
export type ReplyPage = Schemas['Page_Reply_']

const path = (corpId: string) => ({ corp_id: corpId })

export function listGroups(corpId: string): Promise<ReplyGroup[]> {
  return unwrap(api.GET('/api/v1/corps/{corp_id}/reply-groups', { params: { path: path(corpId) } }))
}

export function createGroup(corpId: string, name: string, position: number): Promise<ReplyGroup> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/reply-groups', { params: { path: path(corpId) }, body: { name, position } }),
  )
}

export async function deleteGroup(corpId: string, id: string): Promise<void> {
  await unwrap(
    api.DELETE('/api/v1/corps/{corp_id}/reply-groups/{reply_group_id}', {
      params: { path: { corp_id: corpId, reply_group_id: id } },
    }),
  )
}

export function listReplies(
  corpId: string,
  query: { group_id?: string | null; q?: string | null },
  cursor: string | null,
): Promise<ReplyPage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/replies', {
      params: {
        path: path(corpId),
        query: { group_id: query.group_id ?? undefined, q: query.q || undefined, cursor: cursor ?? undefined },
      },
    }),
  )
}

export function createReply(corpId: string, body: ReplyCreate): Promise<Reply> {
  return unwrap(api.POST('/api/v1/corps/{corp_id}/replies', { params: { path: path(corpId) }, body }))
}

export function updateReply(corpId: string, id: string, body: ReplyUpdate): Promise<Reply> {
  return unwrap(
    api.PATCH('/api/v1/corps/{corp_id}/replies/{reply_id}', {
      params: { path: { corp_id: corpId, reply_id: id } },
      body,
    }),
  )
}

export async function deleteReply(corpId: string, id: string): Promise<void> {
  await unwrap(
    api.DELETE('/api/v1/corps/{corp_id}/replies/{reply_id}', {
      params: { path: { corp_id: corpId, reply_id: id } },
    }),
  )
}

export function listVariables(corpId: string): Promise<ReplyVariable[]> {
  return unwrap(api.GET('/api/v1/corps/{corp_id}/reply-variables', { params: { path: path(corpId) } }))
}

export function renderReply(corpId: string, id: string, values: Record<string, string>): Promise<RenderedReply> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/replies/{reply_id}/render', {
      params: { path: { corp_id: corpId, reply_id: id } },
      body: { values, count_use: false },
    }),
  )
}
