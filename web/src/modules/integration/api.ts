/** Integration service: the corp's WeCom settings (secrets write-only) and the verify check. */
import { api, unwrap } from '@/api/client'
import type { RequestBody, ResponseBody } from '@/api/types'

export type CorpSettings = ResponseBody<'/api/v1/corps/{corp_id}', 'get'>
export type CorpSettingsUpdate = RequestBody<'/api/v1/corps/{corp_id}', 'patch'>

/** WeCom's verdict on the corp's secret, and the callback URL the server is reachable at. */
export type VerifyResult = ResponseBody<'/api/v1/corps/{corp_id}/wecom/verification', 'get'>

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

/** Fetch a token with the corp's secret and count its follow users: a read, it changes nothing. */
export function verifyWecom(corpId: string): Promise<VerifyResult> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/wecom/verification', {
      params: { path: { corp_id: corpId } },
    }),
  )
}
