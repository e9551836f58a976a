/** Mapper: audit events into table rows, with times in the viewer's locale and zone. */
import type { AuditEvent } from './api'

export interface AuditRow {
  id: string
  time: string
  actor: string | null
  action: string
  target: string
  ip: string
  details: string | null
}

export function toAuditRow(event: AuditEvent, locale: string): AuditRow {
  const when = new Date(event.created_at)
  const details = event.details ?? {}
  const hasDetails = Object.keys(details).length > 0
  return {
    id: String(event.id),
    time: Number.isNaN(when.getTime())
      ? String(event.created_at)
      : when.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'medium' }),
    actor: event.actor_label || null,
    action: event.action,
    target: [event.target_type, event.target_id].filter(Boolean).join(' · ') || '—',
    ip: event.ip || '—',
    details: hasDetails ? JSON.stringify(details, null, 2) : null,
  }
}
