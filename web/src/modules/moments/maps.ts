/** Mapper: moment posts into table rows. */
import { formatDateTime } from '@/i18n/format'

import type { MomentRow } from './api'

export interface MomentTableRow {
  id: string
  text: string
  /** Key under `moments.statuses.` */
  status: string
  when: string
  progress: string
  percent: number
}

const EXCERPT = 40

export function excerpt(text: string): string {
  return text.length > EXCERPT ? `${text.slice(0, EXCERPT)}…` : text
}

export function statusTone(status: string): 'success' | 'warning' | 'danger' | 'info' | 'primary' {
  if (status === 'published') return 'success'
  if (status === 'failed' || status === 'uncertain') return 'danger'
  if (status === 'cancelled' || status === 'draft') return 'info'
  return 'warning'
}

export function toMomentRow(post: MomentRow, locale: string): MomentTableRow {
  const { senders, published } = post.progress
  return {
    id: String(post.id),
    text: excerpt(post.text) || '—',
    status: post.status,
    when: formatDateTime(post.published_at ?? post.due_at ?? post.created_at, locale),
    progress: senders ? `${published} / ${senders}` : '—',
    percent: senders ? Math.round((published / senders) * 100) : 0,
  }
}
