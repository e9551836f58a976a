/**
 * The corps the user may open and the one being worked in. The current corp lives in the route
 * (`/c/:corpId/...`) so links are shareable; the last one chosen is remembered per browser.
 */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'

import * as corpsApi from './api'
import type { CorpSummary } from './api'

const STORAGE_KEY = 'siyu.corp'

export const useCorpStore = defineStore('corps', () => {
  const corps = ref<CorpSummary[]>([])
  const loaded = ref(false)
  const currentId = ref<string | null>(null)

  const current = computed(
    () => corps.value.find((corp) => String(corp.id) === currentId.value) ?? null,
  )

  async function load(force = false): Promise<void> {
    if (loaded.value && !force) return
    corps.value = await corpsApi.listCorps()
    loaded.value = true
  }

  function has(corpId: string): boolean {
    return corps.value.some((corp) => String(corp.id) === corpId)
  }

  /** The corp to open when the address names none: the remembered one, else the first. */
  function preferredId(): string | null {
    const remembered = window.localStorage.getItem(STORAGE_KEY)
    if (remembered && has(remembered)) return remembered
    const first = corps.value[0]
    return first ? String(first.id) : null
  }

  function select(corpId: string): void {
    currentId.value = corpId
    window.localStorage.setItem(STORAGE_KEY, corpId)
  }

  function reset(): void {
    corps.value = []
    loaded.value = false
    currentId.value = null
  }

  return { corps, loaded, currentId, current, load, has, preferredId, select, reset }
})
