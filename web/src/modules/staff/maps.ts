/** Mapper: staff rows from the API into what the table shows. */
import type { Department, StaffMember } from './api'

export type StaffStatusKey = 'active' | 'disabled' | 'inactive' | 'left' | 'unknown'

// WeCom `user/get` status: 1 activated, 2 disabled, 4 not activated, 5 left the company.
const WECOM_STATUS: Record<number, StaffStatusKey> = { 1: 'active', 2: 'disabled', 4: 'inactive', 5: 'left' }

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

/** Department names by WeCom id, for showing `department_ids` as names. */
export function departmentNames(departments: Department[]): Map<number, string> {
  return new Map(departments.map((d) => [d.wecom_dept_id, d.name]))
}

export function toStaffRow(member: StaffMember, departments: Map<number, string>): StaffRow {
  const status = WECOM_STATUS[member.status] ?? 'unknown'
  return {
    id: String(member.id),
    name: member.name,
    userid: member.userid,
    position: member.position || '—',
    mobile: member.mobile || '—',
    departments:
      member.department_ids.map((id) => departments.get(id) ?? `#${id}`).join('、') || '—',
    status,
    statusTag: STATUS_TAG[status],
  }
}
