/**
 * The console's sidebar: one entry per backend domain, in the order operators work. Entries
 * without a page yet route to a "coming soon" view, so no link is ever broken.
 */
import {
  Aim,
  Camera,
  ChatDotRound,
  DataBoard,
  Files,
  Filter,
  MagicStick,
  PriceTag,
  Promotion,
  Setting,
  Share,
  ShoppingCart,
  TrendCharts,
  User,
  UserFilled,
} from '@element-plus/icons-vue'
import type { Component } from 'vue'

export interface NavLeaf {
  /** Route name, also the sidebar index. */
  name: string
  /** Path under /c/:corpId/. */
  path: string
  /** Key under `nav.` in the message files. */
  label: string
  icon?: Component
  /** True once the page exists; otherwise the route shows "coming soon". */
  ready: boolean
}

export interface NavGroup {
  name: string
  label: string
  icon: Component
  children: NavLeaf[]
}

export type NavEntry = NavLeaf | NavGroup

export const NAVIGATION: NavEntry[] = [
  { name: 'dashboard', path: 'dashboard', label: 'dashboard', icon: DataBoard, ready: true },
  {
    name: 'customer-pages',
    label: 'customers',
    icon: User,
    children: [
      { name: 'customers', path: 'customers', label: 'customerList', ready: true },
      { name: 'lost-customers', path: 'lost-customers', label: 'lostCustomers', ready: true },
      { name: 'duplicates', path: 'duplicates', label: 'duplicates', ready: true },
      { name: 'stage-counts', path: 'stage-counts', label: 'stageCounts', ready: true },
      { name: 'customer-conflicts', path: 'customer-conflicts', label: 'customerConflicts', ready: true },
      { name: 'customer-import', path: 'customer-import', label: 'customerImport', ready: true },
    ],
  },
  { name: 'tags', path: 'tags', label: 'tags', icon: PriceTag, ready: true },
  { name: 'segments', path: 'segments', label: 'segments', icon: Filter, ready: true },
  { name: 'acquisition', path: 'acquisition', label: 'acquisition', icon: Aim, ready: true },
  { name: 'groups', path: 'groups', label: 'groups', icon: ChatDotRound, ready: true },
  { name: 'group-codes', path: 'group-codes', label: 'groupCodes', icon: ChatDotRound, ready: true },
  { name: 'mass-campaigns', path: 'mass-campaigns', label: 'massCampaigns', icon: Promotion, ready: true },
  { name: 'moments', path: 'moments', label: 'moments', icon: Camera, ready: true },
  {
    name: 'library-pages',
    label: 'library',
    icon: Files,
    children: [
      { name: 'materials', path: 'materials', label: 'materials', ready: true },
      { name: 'replies', path: 'replies', label: 'replies', ready: true },
    ],
  },
  { name: 'automation', path: 'automation', label: 'automation', icon: MagicStick, ready: false },
  { name: 'commerce', path: 'commerce', label: 'commerce', icon: ShoppingCart, ready: false },
  { name: 'fission', path: 'fission', label: 'fission', icon: Share, ready: false },
  { name: 'analytics', path: 'analytics', label: 'analytics', icon: TrendCharts, ready: false },
  { name: 'staff', path: 'staff', label: 'staff', icon: UserFilled, ready: true },
  {
    name: 'settings',
    label: 'settings',
    icon: Setting,
    children: [
      { name: 'settings-corp', path: 'settings/corp', label: 'settingsCorp', ready: true },
      { name: 'settings-profile', path: 'settings/profile', label: 'settingsProfile', ready: true },
      { name: 'settings-sync', path: 'settings/sync', label: 'settingsSync', ready: true },
      { name: 'settings-inbox', path: 'settings/inbox', label: 'settingsInbox', ready: true },
      { name: 'settings-wecom-calls', path: 'settings/wecom-calls', label: 'settingsWecomCalls', ready: true },
      { name: 'settings-members', path: 'settings/members', label: 'settingsMembers', ready: false },
      { name: 'settings-api-keys', path: 'settings/api-keys', label: 'settingsApiKeys', ready: false },
      { name: 'settings-audit', path: 'settings/audit', label: 'settingsAudit', ready: true },
      { name: 'settings-exports', path: 'settings/exports', label: 'settingsExports', ready: true },
    ],
  },
]

export function isGroup(entry: NavEntry): entry is NavGroup {
  return 'children' in entry
}

export const NAV_LEAVES: NavLeaf[] = NAVIGATION.flatMap((entry) =>
  isGroup(entry) ? entry.children : [entry],
)
