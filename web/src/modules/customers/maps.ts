/** Mapper: customers and follow relations into what the list and the detail page show. */
import { formatDate, formatDateTime } from '@/i18n/format'

import type { Customer, FollowRelation } from './api'

export interface CustomerRow {
  id: string
  name: string
  avatar: string | null
  /** Key under `customers.types.` */
  type: 'wechat' | 'wecom' | 'unknown'
  corpName: string
  status: string
  statusTag: 'success' | 'info'
  firstAdded: string
}

export function customerType(type: number): CustomerRow['type'] {
  return type === 1 ? 'wechat' : type === 2 ? 'wecom' : 'unknown'
}

export function genderKey(gender: number): 'male' | 'female' | 'unknown' {
  return gender === 1 ? 'male' : gender === 2 ? 'female' : 'unknown'
}

export function toCustomerRow(customer: Customer, locale: string): CustomerRow {
  return {
    id: String(customer.id),
    name: customer.name || customer.external_userid || '—',
    avatar: customer.avatar,
    type: customerType(customer.type),
    corpName: customer.corp_name || '—',
    status: customer.status,
    statusTag: customer.status === 'active' ? 'success' : 'info',
    firstAdded: formatDate(customer.first_added_at, locale),
  }
}

export interface RelationRow {
  id: string
  staffUserid: string
  remark: string
  description: string
  channel: string
  added: string
  /** Key under `customers.relationStates.` */
  state: 'active' | 'deletedByCustomer' | 'deletedByStaff'
  deletedAt: string
  tags: { id: string; name: string }[]
  relation: FollowRelation
}

export function toRelationRow(relation: FollowRelation, locale: string): RelationRow {
  const state = relation.deleted_by_staff_at
    ? 'deletedByStaff'
    : relation.deleted_by_customer_at
      ? 'deletedByCustomer'
      : 'active'
  return {
    id: String(relation.id),
    staffUserid: relation.staff_userid,
    remark: relation.remark || '—',
    description: relation.description || '',
    channel: relation.state || '—',
    added: formatDateTime(relation.added_at, locale),
    state,
    deletedAt: formatDateTime(relation.deleted_by_staff_at ?? relation.deleted_by_customer_at, locale),
    tags: relation.tags.map((tag) => ({ id: String(tag.id), name: tag.name })),
    relation,
  }
}
