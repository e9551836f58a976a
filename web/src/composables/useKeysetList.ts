/**
 * A list fed by keyset pages: `reload()` starts over, `loadMore()` appends the page after the
 * last cursor. Stale answers (a reload started while an older page was in flight) are dropped.
 */
import { computed, ref, shallowRef, type Ref } from 'vue'

import { ApiError } from '@/api/errors'
import type { KeysetPage } from '@/api/types'

export function useKeysetList<T>(fetchPage: (cursor: string | null) => Promise<KeysetPage<T>>) {
  const items = shallowRef<T[]>([]) as Ref<T[]>
  const cursor = ref<string | null>(null)
  const loading = ref(false)
  const loaded = ref(false)
  const error = ref<ApiError | null>(null)
  let generation = 0

  async function fetchInto(append: boolean): Promise<void> {
    const mine = ++generation
    loading.value = true
    error.value = null
    try {
      const page = await fetchPage(append ? cursor.value : null)
      if (mine !== generation) return
      items.value = append ? [...items.value, ...page.items] : page.items
      cursor.value = page.next_cursor ?? null
      loaded.value = true
    } catch (caught) {
      if (mine !== generation) return
      error.value =
        caught instanceof ApiError ? caught : new ApiError(0, 'client_error', String(caught))
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  return {
    items,
    loading,
    loaded,
    error,
    hasMore: computed(() => cursor.value !== null),
    reload: () => fetchInto(false),
    loadMore: () => fetchInto(true),
  }
}
