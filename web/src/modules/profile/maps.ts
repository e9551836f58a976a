/** Small view helpers shared by the profile, lost and duplicates pages. */

/** The last `days` calendar days up to today, as [since, until] in YYYY-MM-DD (local time). */
export function lastDays(days: number): [string, string] {
  const until = new Date()
  const since = new Date(until.getTime() - (days - 1) * 86_400_000)
  const iso = (d: Date) =>
    `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
  return [iso(since), iso(until)]
}
