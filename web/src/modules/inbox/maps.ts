/** Mapper: inbox events into table rows, statuses into tag colours. */
import { formatDateTime } from '@/i18n/format'

import type { InboxEvent } from './api'

export type TagType = 'success' | 'info' | 'warning' | 'danger' | 'primary'

export const INBOX_STATUSES = ['pending', 'handled', 'failed', 'dead', 'unsupported'] as const

const STATUS_TAG: Record<string, TagType> = {
  pending: 'primary',
  handled: 'success',
  failed: 'warning',
  dead: 'danger',
  unsupported: 'info',
}

export interface InboxRow {
  id: string
  event: string
  changeType: string
  status: string
  statusTag: TagType
  attempts: number
  received: string
  handled: string
  lastError: string
}

export const statusTag = (status: string): TagType => STATUS_TAG[status] ?? 'info'

export function toInboxRow(event: InboxEvent, locale: string): InboxRow {
  return {
    id: String(event.id),
    event: event.event,
    changeType: event.change_type || '—',
    status: event.status,
    statusTag: statusTag(event.status),
    attempts: event.attempts,
    received: formatDateTime(event.received_at, locale),
    handled: formatDateTime(event.handled_at, locale),
    lastError: event.last_error || '',
  }
}
