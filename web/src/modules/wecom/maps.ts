/** Mapper: WeCom call journal rows, errcodes with their meaning (a subset of siyu/wecom/errors.py). */
import { formatDateTime } from '@/i18n/format'

import type { WeComCall } from './api'

/** Errcodes operators meet most; others show WeCom's own lookup link. The texts are in i18n. */
export const KNOWN_ERRCODES = [
  -2, -1, 0, 40001, 40003, 40013, 40014, 40056, 40058, 40068, 40091, 40096, 41001, 42001, 45009,
  45033, 48002, 60011, 84061,
] as const

export const ERRMSG_URL = 'https://open.work.weixin.qq.com/devtool/query?e='

export interface WeComCallRow {
  id: string
  api: string
  time: string
  duration: string
  errcode: number
  /** Key under `wecomCalls.errcodes.` when the console knows the code. */
  meaningKey: string | null
  ok: boolean
  httpStatus: string
  attempt: number
  error: string
}

export function toWeComCallRow(call: WeComCall, locale: string): WeComCallRow {
  return {
    id: String(call.id),
    api: call.api,
    time: formatDateTime(call.started_at, locale),
    duration: `${Math.round(call.duration_ms)} ms`,
    errcode: call.errcode,
    meaningKey: (KNOWN_ERRCODES as readonly number[]).includes(call.errcode)
      ? errcodeKey(call.errcode)
      : null,
    ok: call.errcode === 0,
    httpStatus: call.http_status == null ? '—' : String(call.http_status),
    attempt: call.attempt,
    error: call.error || '',
  }
}

/** i18n keys cannot start with '-' or a digit: -2 → "m2", 40001 → "e40001". */
export function errcodeKey(code: number): string {
  return code < 0 ? `m${-code}` : `e${code}`
}
