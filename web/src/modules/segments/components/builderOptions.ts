/**
 * The choices every builder leaf picks from (tags, custom fields, sales stages, departments,
 * customer groups), loaded once by the page and provided to every nested node.
 */
import type { InjectionKey } from 'vue'

import { listGroups } from '@/modules/groups/api'
import { listFields, listStages, type CustomerField } from '@/modules/profile/api'
import { listDepartments, type Department } from '@/modules/staff/api'
import { listTagGroups } from '@/modules/tags/api'

import type { FieldOp } from '../maps'
import { tagOptions, type TagOption } from './tagOptions'

export interface Choice<Id = string> {
  id: Id
  label: string
}

export interface BuilderOptions {
  tags: TagOption[]
  fields: CustomerField[]
  stages: Choice[]
  departments: Choice<number>[]
  groups: Choice[]
}

export const BUILDER_OPTIONS: InjectionKey<BuilderOptions> = Symbol('segment-builder-options')

export function emptyOptions(): BuilderOptions {
  return { tags: [], fields: [], stages: [], departments: [], groups: [] }
}

/** Which operators make sense for each field type; the backend compares by the value's JSON type. */
export const FIELD_OPS: Record<string, FieldOp[]> = {
  text: ['eq', 'ne', 'contains', 'empty', 'not_empty'],
  number: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'empty', 'not_empty'],
  date: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'empty', 'not_empty'],
  single_select: ['eq', 'ne', 'in', 'empty', 'not_empty'],
  // A multi-select value is one row per chosen option: eq = has this option, in = has any of them.
  multi_select: ['eq', 'ne', 'in', 'empty', 'not_empty'],
}

/** "Parent / Child" so departments with the same name in two branches can be told apart. */
export function departmentChoices(departments: Department[]): Choice<number>[] {
  const byId = new Map(departments.map((d) => [d.wecom_dept_id, d]))
  const path = (dept: Department, depth = 0): string => {
    const parent = dept.parent_id === null ? undefined : byId.get(dept.parent_id)
    return parent && parent !== dept && depth < 10 ? `${path(parent, depth + 1)} / ${dept.name}` : dept.name
  }
  return departments.map((d) => ({ id: d.wecom_dept_id, label: path(d) }))
}

/** The corp's customer groups the caller may see; the list is keyset-paged, so follow it up to a cap. */
async function groupChoices(corpId: string, maxPages = 10): Promise<Choice[]> {
  const choices: Choice[] = []
  let cursor: string | null = null
  for (let page = 0; page < maxPages; page++) {
    const answer = await listGroups(corpId, { cursor, limit: 200 })
    choices.push(...answer.items.map((g) => ({ id: String(g.id), label: g.name || g.chat_id })))
    cursor = answer.next_cursor ?? null
    if (!cursor) break
  }
  return choices
}

/** A list the caller's role may not read (e.g. departments) leaves its picker empty, not the page broken. */
function orEmpty<T>(load: Promise<T[]>): Promise<T[]> {
  return load.catch(() => [])
}

export async function loadBuilderOptions(corpId: string, into: BuilderOptions): Promise<void> {
  const [tagGroups, fields, stages, departments, groups] = await Promise.all([
    orEmpty(listTagGroups(corpId)),
    orEmpty(listFields(corpId)),
    orEmpty(listStages(corpId)),
    orEmpty(listDepartments(corpId)),
    orEmpty(groupChoices(corpId)),
  ])
  into.tags = tagOptions(tagGroups)
  into.fields = fields
  into.stages = stages.map((s) => ({ id: String(s.id), label: s.name }))
  into.departments = departmentChoices(departments)
  into.groups = groups
}
