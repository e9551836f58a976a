/** Exports service: queued CSV exports (customer lists, segments, duplicates, audit), audited. */
import { api, unwrap } from '@/api/client'
import type { ResponseBody } from '@/api/types'

export type ExportPage = ResponseBody<'/api/v1/corps/{corp_id}/exports', 'get'>
export type Export = ExportPage['items'][number]

export function listExports(corpId: string, query: { cursor?: string | null; limit?: number } = {}): Promise<ExportPage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/exports', {
      params: { path: { corp_id: corpId }, query: { cursor: query.cursor ?? undefined, limit: query.limit } },
    }),
  )
}

/** The session cookie authenticates a plain link, so the browser streams the file itself. */
export function downloadUrl(corpId: string, exportId: string): string {
  return `/api/v1/corps/${encodeURIComponent(corpId)}/exports/${encodeURIComponent(exportId)}/download`
}
