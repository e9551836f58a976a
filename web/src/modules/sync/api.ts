/** Sync service: full reconciliations of the corp with WeCom, one running at a time. */
import { api, unwrap } from '@/api/client'
import type { ResponseBody } from '@/api/types'

export type SyncRunPage = ResponseBody<'/api/v1/corps/{corp_id}/sync/runs', 'get'>
export type SyncRun = SyncRunPage['items'][number]

/** One stage's units of work, as `progress.stages[stage]` reports them. */
export interface StageProgress {
  done: number
  total: number
}

export function startSync(corpId: string): Promise<SyncRun> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/sync', { params: { path: { corp_id: corpId } } }),
  )
}

export function listSyncRuns(
  corpId: string,
  query: { cursor?: string | null; limit?: number } = {},
): Promise<SyncRunPage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/sync/runs', {
      params: {
        path: { corp_id: corpId },
        query: { cursor: query.cursor ?? undefined, limit: query.limit },
      },
    }),
  )
}

export function getSyncRun(corpId: string, runId: string): Promise<SyncRun> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/sync/runs/{run_id}', {
      params: { path: { corp_id: corpId, run_id: runId } },
    }),
  )
}
