/** Small view helpers shared by the profile, lost and duplicates pages. */

// Siyu's days are China calendar days: the server counts lost customers, stages and adds per
// Asia/Shanghai day (corps have no timezone of their own yet), so a range picked in a browser
// elsewhere (or a CI browser on UTC after 16:00) must name the same days.
const corpDay = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
})

/** The last `days` China calendar days, today included, as YYYY-MM-DD. */
export function lastDays(days: number): [string, string] {
  const now = Date.now()
  return [corpDay.format(new Date(now - (days - 1) * 86_400_000)), corpDay.format(new Date(now))]
}
