/** Acquisition: channels, live codes, welcome defaults, capacity and analytics. */
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'

type Schemas = components['schemas']
export type Channel = Schemas['Channel']
export type LiveCode = Schemas['LiveCode']
export type LiveCodeCreate = Schemas['LiveCodeCreate']
export type LiveCodeUpdate = Schemas['LiveCodeUpdate']
export type StaffCapacity = Schemas['StaffCapacity']
export type CodeStats = Schemas['CodeStats']
export type DailyStats = Schemas['DailyStats']
export type WelcomeStats = Schemas['WelcomeStats']

const corp = (corpId: string) => ({ corp_id: corpId })

export function listChannels(corpId: string): Promise<Channel[]> {
  return unwrap(api.GET('/api/v1/corps/{corp_id}/acquisition/channels', { params: { path: corp(corpId) } }))
}

export function createChannel(corpId: string, name: string): Promise<Channel> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/acquisition/channels', { params: { path: corp(corpId) }, body: { name, description: '' } }),
  )
}

export function listCodes(corpId: string): Promise<LiveCode[]> {
  return unwrap(api.GET('/api/v1/corps/{corp_id}/acquisition/codes', { params: { path: corp(corpId) } }))
}

export function createCode(corpId: string, body: LiveCodeCreate): Promise<LiveCode> {
  return unwrap(api.POST('/api/v1/corps/{corp_id}/acquisition/codes', { params: { path: corp(corpId) }, body }))
}

export function updateCode(corpId: string, codeId: string, body: LiveCodeUpdate): Promise<LiveCode> {
  return unwrap(
    api.PATCH('/api/v1/corps/{corp_id}/acquisition/codes/{code_id}', {
      params: { path: { corp_id: corpId, code_id: codeId } },
      body,
    }),
  )
}

export function deleteCode(corpId: string, codeId: string): Promise<unknown> {
  return unwrap(
    api.DELETE('/api/v1/corps/{corp_id}/acquisition/codes/{code_id}', {
      params: { path: { corp_id: corpId, code_id: codeId } },
    }),
  )
}

/** Same-origin image URLs (the session cookie authenticates the download). */
export function imageUrl(corpId: string, codeId: string, kind: 'qr' | 'poster'): string {
  return `/api/v1/corps/${corpId}/acquisition/codes/${codeId}/${kind}.png`
}

export function listCapacity(corpId: string): Promise<StaffCapacity[]> {
  return unwrap(api.GET('/api/v1/corps/{corp_id}/acquisition/capacity', { params: { path: corp(corpId) } }))
}

export function codeStats(corpId: string, since: string, until: string): Promise<CodeStats[]> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/acquisition/stats/codes', {
      params: { path: corp(corpId), query: { since, until } },
    }),
  )
}

export function channelStats(corpId: string, since: string, until: string): Promise<CodeStats[]> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/acquisition/stats/channels', {
      params: { path: corp(corpId), query: { since, until } },
    }),
  )
}

export function dailyStats(corpId: string, since: string, until: string): Promise<DailyStats[]> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/acquisition/stats/daily', {
      params: { path: corp(corpId), query: { since, until } },
    }),
  )
}
