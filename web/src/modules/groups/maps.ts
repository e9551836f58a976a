/** Mapper: customer groups and their members into table rows. */
import { formatDateTime } from '@/i18n/format'

import type { CustomerGroup, GroupMember } from './api'

export interface GroupRow {
  id: string
  name: string
  owner: string
  members: number
  /** Key under `groups.statuses.` */
  status: 'normal' | 'ownerLeft' | 'handover' | 'handedOver' | 'dismissed'
  created: string
}

// WeCom groupchat status: 0 normal, 1 owner resigned, 2 handover running, 3 handed over.
const STATUS: Record<number, GroupRow['status']> = { 0: 'normal', 1: 'ownerLeft', 2: 'handover', 3: 'handedOver' }

export function groupStatus(group: CustomerGroup): GroupRow['status'] {
  return group.dismissed_at ? 'dismissed' : (STATUS[group.status] ?? 'normal')
}

export function toGroupRow(group: CustomerGroup, locale: string): GroupRow {
  return {
    id: String(group.id),
    name: group.name || group.chat_id,
    owner: group.owner_userid,
    members: group.member_count,
    status: groupStatus(group),
    created: formatDateTime(group.created_in_wecom_at, locale),
  }
}

export interface MemberRow {
  id: string
  name: string
  nickname: string
  /** Key under `groups.memberTypes.` */
  type: 'staff' | 'external'
  joined: string
  invitor: string
  left: boolean
}

export function toMemberRow(member: GroupMember, locale: string): MemberRow {
  return {
    id: member.member_id,
    name: member.name || member.member_id,
    nickname: member.group_nickname || '—',
    type: member.member_type === 1 ? 'staff' : 'external',
    joined: formatDateTime(member.join_time, locale),
    invitor: member.invitor_userid || '—',
    left: member.left_at !== null,
  }
}
