/**
 * A page that gives itself a new address without becoming a new page.
 *
 * The console layout remounts its view whenever the address changes, so one page's state never
 * leaks into the next. A builder that has just saved a new record only swaps `/new` for the
 * record's own address: remounting it there would reset what the user is looking at (the count,
 * the preview) and drop a click made while the new instance loads.
 */
import type { RouteLocationRaw, Router } from 'vue-router'

let keepNext = false

/** `router.replace(to)`, keeping the current view instance. */
export async function replaceKeepingView(router: Router, to: RouteLocationRaw): Promise<void> {
  keepNext = true
  const failure = await router.replace(to)
  if (failure) keepNext = false // no navigation happened: the next one remounts as usual
}

/** Whether the address change being applied asked to keep the view (asks once). */
export function takeKeepView(): boolean {
  const kept = keepNext
  keepNext = false
  return kept
}
