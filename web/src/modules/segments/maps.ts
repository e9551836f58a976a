/**
 * Mapper between the builder's editable draft tree and the API's condition tree.
 *
 * The draft keeps what the form needs (a stable key per node for v-for, a NOT flag on every node
 * instead of separate NOT nodes, half-filled leaves); `toCondition` drops unfinished leaves and
 * empty groups, so the live count always evaluates what the operator has actually specified.
 */
import type { Condition } from './api'

export type LeafType = 'tags' | 'staff' | 'channel' | 'added' | 'status'
export const LEAF_TYPES: LeafType[] = ['tags', 'staff', 'channel', 'added', 'status']

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
  return { key: nextKey++, kind: 'leaf', type, negate: false, match: 'any', tagIds: [], values: [], withinDays: 30, status: 'active' }
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
      return leaf.withinDays ? { type: 'added', within_days: leaf.withinDays } : null
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
  } else if (type === 'added') {
    leaf.withinDays = (raw.within_days as number) ?? null
  } else if (type === 'status') {
    leaf.status = (raw.status as DraftLeaf['status']) ?? 'active'
  }
  return leaf
}
