/** Mapper: staff rows from the API into what the table shows. */
import type { StaffMember } from './api'

export type StaffStatusKey = 'active' | 'disabled' | 'inactive' | 'left' | 'unknown'

// WeCom `user/get` status: 1 activated, 2 disabled, 4 not activated, 5 left the company.
const WECOM_STATUS: Record<string, StaffStatusKey> = {
  '1': 'active',
  '2': 'disabled',
  '4': 'inactive',
  '5': 'left',
  active: 'active',
  disabled: 'disabled',
  inactive: 'inactive',
  left: 'left',
}

const STATUS_TAG: Record<StaffStatusKey, 'success' | 'info' | 'warning' | 'danger'> = {
  active: 'success',
  disabled: 'danger',
  inactive: 'warning',
  left: 'info',
  unknown: 'info',
}

export interface StaffRow {
  id: string
  name: string
  userid: string
  position: string
  mobile: string
  departments: string
  status: StaffStatusKey
  statusTag: (typeof STATUS_TAG)[StaffStatusKey]
}

export function toStaffRow(member: StaffMember): StaffRow {
  const status = WECOM_STATUS[String(member.status)] ?? 'unknown'
  return {
    id: String(member.id),
    name: member.name,
    userid: member.userid,
    position: member.position || '—',
    mobile: member.mobile || '—',
    departments: (member.department_ids ?? []).join(', ') || '—',
    status,
    statusTag: STATUS_TAG[status],
  }
}
