/** The corp's tags as builder options, provided once by the page to every nested node. */
import type { InjectionKey } from 'vue'

import type { TagGroup } from '@/modules/tags/api'

export interface TagOption {
  id: string
  label: string
}

export const TAG_OPTIONS: InjectionKey<TagOption[]> = Symbol('segment-tag-options')

export function tagOptions(groups: TagGroup[]): TagOption[] {
  return groups.flatMap((group) =>
    group.tags.map((tag) => ({ id: String(tag.id), label: `${group.name} / ${tag.name}` })),
  )
}
