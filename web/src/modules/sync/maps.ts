/** Mapper: sync runs into what the progress card and the history table show. */
import { formatDateTime } from '@/i18n/format'

import type { StageProgress, SyncRun } from './api'

export type TagType = 'success' | 'info' | 'warning' | 'danger' | 'primary'

const STATUS_TAG: Record<string, TagType> = {
  running: 'primary',
  done: 'success',
  failed: 'danger',
  interrupted: 'warning',
}

export interface StageRow {
  name: string
  done: number
  total: number
  percent: number
  current: boolean
}

export interface SyncRunRow {
  id: string
  status: string
  statusTag: TagType
  started: string
  finished: string
  counts: string
  error: string | null
  by: string
}

// The order a full sync works in; stages the console does not know come after, by name.
const STAGE_ORDER = ['directory', 'tags', 'customers', 'group_list', 'groups', 'finalize']

interface Progress {
  stage?: string
  stages?: Record<string, StageProgress>
}

export function stageRows(run: SyncRun): StageRow[] {
  const progress = (run.progress ?? {}) as Progress
  const rank = (name: string) => {
    const index = STAGE_ORDER.indexOf(name)
    return index === -1 ? STAGE_ORDER.length : index
  }
  const stages = Object.entries(progress.stages ?? {}).sort(
    ([a], [b]) => rank(a) - rank(b) || a.localeCompare(b),
  )
  return stages.map(([name, p]) => ({
    name,
    done: p.done,
    total: p.total,
    percent: p.total > 0 ? Math.min(100, Math.round((p.done / p.total) * 100)) : run.status === 'done' ? 100 : 0,
    current: progress.stage === name,
  }))
}

export function countsText(run: SyncRun): string {
  const counts: Record<string, unknown> = run.counts ?? {}
  return Object.entries(counts)
    .map(([key, n]) => `${key}: ${n}`)
    .join(' · ') || '—'
}

export function toSyncRunRow(run: SyncRun, locale: string): SyncRunRow {
  return {
    id: String(run.id),
    status: run.status,
    statusTag: STATUS_TAG[run.status] ?? 'info',
    started: formatDateTime(run.started_at, locale),
    finished: formatDateTime(run.finished_at, locale),
    counts: countsText(run),
    error: run.error,
    by: run.requested_by_label || '—',
  }
}
