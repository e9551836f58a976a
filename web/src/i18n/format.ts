/** Dates from the API (ISO strings, UTC) in the viewer's locale and zone. */
export function formatDateTime(value: string | null | undefined, locale: string): string {
  if (!value) return '—'
  const when = new Date(value)
  return Number.isNaN(when.getTime())
    ? value
    : when.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'medium' })
}

export function formatDate(value: string | null | undefined, locale: string): string {
  if (!value) return '—'
  const when = new Date(value)
  return Number.isNaN(when.getTime()) ? value : when.toLocaleDateString(locale, { dateStyle: 'medium' })
}
