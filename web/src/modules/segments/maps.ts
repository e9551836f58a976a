/**
 * Mapper between the builder's editable draft tree and the API's condition tree.
 *
 * The draft keeps what the form needs (a stable key per node for v-for, a NOT flag on every node
 * instead of separate NOT nodes, half-filled leaves); `toCondition` drops unfinished leaves and
 * empty groups, so the live count always evaluates what the operator has actually specified.
 */
import type { Condition } from './api'

export type LeafType =
  | 'tags'
  | 'field'
  | 'stage'
  | 'staff'
  | 'department'
  | 'channel'
  | 'added'
  | 'last_interaction'
  | 'group'
  | 'status'
export const LEAF_TYPES: LeafType[] = [
  'tags',
  'field',
  'stage',
  'staff',
  'department',
  'channel',
  'added',
  'last_interaction',
  'group',
  'status',
]

/** The operators the backend accepts on a custom field (siyu/segments/conditions.py FieldOp). */
export type FieldOp = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'contains' | 'in' | 'empty' | 'not_empty'
/** A field value as the form holds it: text / option key, number, ISO date, or option keys for `in`. */
export type FieldValue = string | number | string[] | null

export interface DraftLeaf {
  key: number
  kind: 'leaf'
  type: LeafType
  negate: boolean
  match: 'any' | 'all' | 'none'
  tagIds: string[]
  values: string[]
  withinDays: number | null
  status: 'active' | 'lost'
  fieldId: string | null
  fieldOp: FieldOp
  fieldValue: FieldValue
  stageMatch: 'in' | 'not_in'
  stageIds: string[]
  departmentIds: number[]
  groupMatch: 'any' | 'none'
  groupIds: string[]
}

export interface DraftGroup {
  key: number
  kind: 'group'
  op: 'and' | 'or'
  negate: boolean
  children: DraftNode[]
}

export type DraftNode = DraftLeaf | DraftGroup

let nextKey = 1

export function newLeaf(type: LeafType = 'tags'): DraftLeaf {
  return {
    key: nextKey++,
    kind: 'leaf',
    type,
    negate: false,
    match: 'any',
    tagIds: [],
    values: [],
    withinDays: 30,
    status: 'active',
    fieldId: null,
    fieldOp: 'eq',
    fieldValue: null,
    stageMatch: 'in',
    stageIds: [],
    departmentIds: [],
    groupMatch: 'any',
    groupIds: [],
  }
}

const NO_VALUE_OPS: FieldOp[] = ['empty', 'not_empty']

/** The field leaf, or null while it is unfinished (no field, or an operator still missing its value). */
function fieldJson(leaf: DraftLeaf): Json | null {
  if (!leaf.fieldId) return null
  const base = { type: 'field', field_id: leaf.fieldId, op: leaf.fieldOp }
  if (NO_VALUE_OPS.includes(leaf.fieldOp)) return base
  const value = leaf.fieldValue
  if (leaf.fieldOp === 'in') return Array.isArray(value) && value.length ? { ...base, value } : null
  if (value === null || value === '' || Array.isArray(value)) return null
  return { ...base, value }
}

export function newGroup(op: 'and' | 'or' = 'and', children: DraftNode[] = []): DraftGroup {
  return { key: nextKey++, kind: 'group', op, negate: false, children }
}

type Json = Record<string, unknown>

function leafJson(leaf: DraftLeaf): Json | null {
  switch (leaf.type) {
    case 'tags':
      return leaf.tagIds.length ? { type: 'tags', match: leaf.match, tag_ids: leaf.tagIds } : null
    case 'staff':
      return leaf.values.length ? { type: 'staff', userids: leaf.values } : null
    case 'channel':
      return leaf.values.length ? { type: 'channel', states: leaf.values } : null
    case 'added':
    case 'last_interaction':
      return leaf.withinDays ? { type: leaf.type, within_days: leaf.withinDays } : null
    case 'field':
      return fieldJson(leaf)
    case 'stage':
      return leaf.stageIds.length ? { type: 'stage', match: leaf.stageMatch, stage_ids: leaf.stageIds } : null
    case 'department':
      return leaf.departmentIds.length ? { type: 'department', department_ids: leaf.departmentIds } : null
    case 'group':
      return leaf.groupIds.length ? { type: 'group', match: leaf.groupMatch, group_ids: leaf.groupIds } : null
    case 'status':
      return { type: 'status', status: leaf.status }
  }
}

function nodeJson(node: DraftNode): Json | null {
  let json: Json | null
  if (node.kind === 'leaf') {
    json = leafJson(node)
  } else {
    const children = node.children.map(nodeJson).filter((c): c is Json => c !== null)
    json = children.length === 0 ? null : children.length === 1 ? (children[0] ?? null) : { type: node.op, children }
  }
  return json && node.negate ? { type: 'not', child: json } : json
}

export function toCondition(root: DraftGroup): Condition | null {
  return nodeJson(root) as Condition | null
}

export function fromCondition(raw: Json): DraftGroup {
  const node = fromJson(raw)
  return node.kind === 'group' ? node : newGroup('and', [node])
}

function fromJson(raw: Json): DraftNode {
  const type = String(raw.type)
  if (type === 'not') {
    const inner = fromJson(raw.child as Json)
    inner.negate = !inner.negate
    return inner
  }
  if (type === 'and' || type === 'or') {
    return newGroup(type, (raw.children as Json[]).map(fromJson))
  }
  const leaf = newLeaf(LEAF_TYPES.includes(type as LeafType) ? (type as LeafType) : 'status')
  if (type === 'tags') {
    leaf.match = (raw.match as DraftLeaf['match']) ?? 'any'
    leaf.tagIds = (raw.tag_ids as string[]) ?? []
  } else if (type === 'staff') {
    leaf.values = (raw.userids as string[]) ?? []
  } else if (type === 'channel') {
    leaf.values = (raw.states as string[]) ?? []
  } else if (type === 'added' || type === 'last_interaction') {
    // The builder edits "within the last N days"; a window saved with after/before via the API
    // comes back with no N, so the leaf stays unfinished rather than silently changing meaning.
    leaf.withinDays = (raw.within_days as number) ?? null
  } else if (type === 'field') {
    leaf.fieldId = (raw.field_id as string) ?? null
    leaf.fieldOp = (raw.op as FieldOp) ?? 'eq'
    leaf.fieldValue = (raw.value as FieldValue) ?? null
  } else if (type === 'stage') {
    leaf.stageMatch = (raw.match as DraftLeaf['stageMatch']) ?? 'in'
    leaf.stageIds = (raw.stage_ids as string[]) ?? []
  } else if (type === 'department') {
    leaf.departmentIds = (raw.department_ids as number[]) ?? []
  } else if (type === 'group') {
    leaf.groupMatch = (raw.match as DraftLeaf['groupMatch']) ?? 'any'
    leaf.groupIds = (raw.group_ids as string[]) ?? []
  } else if (type === 'status') {
    leaf.status = (raw.status as DraftLeaf['status']) ?? 'active'
  }
  return leaf
}
