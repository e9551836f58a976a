/** Corps service: the corps the signed-in user may open (the corp switcher's list). */
import { api, unwrap } from '@/api/client'
import type { ResponseBody } from '@/api/types'

export type CorpSummary = ResponseBody<'/api/v1/corps', 'get'>[number]

export function listCorps(): Promise<CorpSummary[]> {
  return unwrap(api.GET('/api/v1/corps'))
}
