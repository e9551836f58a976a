/**
 * Sync service: full reconciliations of the corp with WeCom. The routes land with the sync
 * domain (siyu/sync); until they are in the generated schema these calls are typed here.
 */
import { requestJson } from '@/api/client'
import type { KeysetPage } from '@/api/types'

export interface StageProgress {
  done: number
  total: number
}

export interface SyncRun {
  id: string
  kind: string
  /** running, done, failed or interrupted */
  status: string
  started_at: string
  finished_at: string | null
  progress: { stage?: string | null; stages?: Record<string, StageProgress> } | null
  counts: Record<string, number> | null
  error: string | null
  requested_by_label: string | null
}

const base = (corpId: string) => `/api/v1/corps/${encodeURIComponent(corpId)}/sync`

export function startSync(corpId: string): Promise<SyncRun> {
  return requestJson('POST', base(corpId), {})
}

export function listSyncRuns(
  corpId: string,
  query: { cursor?: string | null; limit?: number } = {},
): Promise<KeysetPage<SyncRun>> {
  const params = new URLSearchParams()
  if (query.cursor) params.set('cursor', query.cursor)
  if (query.limit) params.set('limit', String(query.limit))
  const suffix = params.size ? `?${params}` : ''
  return requestJson('GET', `${base(corpId)}/runs${suffix}`)
}

export function getSyncRun(corpId: string, runId: string): Promise<SyncRun> {
  return requestJson('GET', `${base(corpId)}/runs/${encodeURIComponent(runId)}`)
}
