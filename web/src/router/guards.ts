import type { Router } from 'vue-router'

import { useSessionStore } from '@/modules/auth/store'
import { useCorpStore } from '@/modules/corps/store'

/** A post-login target from the query, only if it is a path on this site. */
export function safeRedirect(value: unknown): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//')
    ? value
    : '/'
}

export function installGuards(router: Router): void {
  router.beforeEach(async (to) => {
    const session = useSessionStore()
    const corps = useCorpStore()
    await session.restore()

    if (to.name === 'login') {
      return session.isAuthenticated ? safeRedirect(to.query.redirect) : true
    }
    if (to.meta.public) return true
    if (!session.isAuthenticated) {
      return { name: 'login', query: to.fullPath === '/' ? {} : { redirect: to.fullPath } }
    }

    await corps.load()
    const corpId = typeof to.params.corpId === 'string' ? to.params.corpId : null
    if (corpId && corps.has(corpId)) {
      corps.select(corpId)
      return true
    }
    // No corp in the address, or one this user may not open: go to the preferred corp.
    const preferred = corps.preferredId()
    if (!preferred) return to.name === 'no-corp' ? true : { name: 'no-corp' }
    if (to.name === 'no-corp' && !corpId) return { name: 'dashboard', params: { corpId: preferred } }
    const name = corpId && typeof to.name === 'string' ? to.name : 'dashboard'
    return { name, params: { corpId: preferred }, query: to.query }
  })
}
