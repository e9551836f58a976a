/**
 * The signed-in session. The cookie is the session; this store keeps what `/auth/me` says about
 * it (user, memberships, CSRF token) and is restored once per page load by the route guard.
 */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'

import { setCsrfToken } from '@/api/client'
import { ApiError } from '@/api/errors'

import * as authApi from './api'
import type { Membership, SessionInfo, SessionUser } from './api'

export const useSessionStore = defineStore('session', () => {
  const user = ref<SessionUser | null>(null)
  const memberships = ref<Membership[]>([])
  const restored = ref(false)
  let restoring: Promise<void> | null = null

  const isAuthenticated = computed(() => user.value !== null)

  function apply(info: SessionInfo | null): void {
    user.value = info?.user ?? null
    memberships.value = info?.memberships ?? []
    setCsrfToken(info?.csrf_token ?? null)
  }

  /** Ask the server once whether the cookie is still a session; later calls share the answer. */
  function restore(): Promise<void> {
    if (restored.value) return Promise.resolve()
    restoring ??= authApi
      .fetchSession()
      .then(apply)
      .catch((error: unknown) => {
        if (!(error instanceof ApiError && error.status === 401)) throw error
        apply(null)
      })
      .finally(() => {
        restoring = null
      })
      .then(() => {
        restored.value = true
      })
    return restoring
  }

  async function login(email: string, password: string): Promise<void> {
    apply(await authApi.login(email, password))
    restored.value = true
  }

  async function logout(): Promise<void> {
    try {
      await authApi.logout()
    } finally {
      clear()
    }
  }

  /** Forget the session locally (after logout or when the server answered 401). */
  function clear(): void {
    apply(null)
    restored.value = true
  }

  function roleIn(corpId: string): string | null {
    return memberships.value.find((m) => String(m.corp.id) === corpId)?.role ?? null
  }

  return { user, memberships, restored, isAuthenticated, restore, login, logout, clear, roleIn }
})
