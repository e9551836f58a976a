/** Integration service: the corp's WeCom settings (secrets write-only) and the verify check. */
import { api, requestJson, unwrap } from '@/api/client'
import type { RequestBody, ResponseBody } from '@/api/types'

export type CorpSettings = ResponseBody<'/api/v1/corps/{corp_id}', 'get'>
export type CorpSettingsUpdate = RequestBody<'/api/v1/corps/{corp_id}', 'patch'>

/** What `POST /corps/{id}/wecom/verify` answers: WeCom's verdict on the corp's secret. */
export interface VerifyResult {
  ok: boolean
  errcode: number | null
  errmsg: string | null
  follow_user_count: number | null
  callback_url: string
}

export function getCorpSettings(corpId: string): Promise<CorpSettings> {
  return unwrap(api.GET('/api/v1/corps/{corp_id}', { params: { path: { corp_id: corpId } } }))
}

export function updateCorpSettings(
  corpId: string,
  body: CorpSettingsUpdate,
): Promise<CorpSettings> {
  return unwrap(
    api.PATCH('/api/v1/corps/{corp_id}', { params: { path: { corp_id: corpId } }, body }),
  )
}

// Not in the generated schema yet (the lead adds it); a 404 means "this server has no verify".
export function verifyWecom(corpId: string): Promise<VerifyResult> {
  return requestJson('POST', `/api/v1/corps/${encodeURIComponent(corpId)}/wecom/verify`)
}
