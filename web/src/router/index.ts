/**
 * Routes: /login, and every console page under /c/:corpId/ so the corp being worked in is part
 * of the address. The guard restores the session once, sends strangers to /login and keeps the
 * corp in the address one the user may open.
 */
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'

import ConsoleLayout from '@/layouts/ConsoleLayout.vue'
import { NAV_LEAVES } from '@/navigation'

import { installGuards } from './guards'

// Pages that exist; everything else in the navigation is "coming soon".
const PAGES: Record<string, () => Promise<unknown>> = {
  dashboard: () => import('@/modules/dashboard/views/DashboardView.vue'),
  staff: () => import('@/modules/staff/views/StaffListView.vue'),
  customers: () => import('@/modules/customers/views/CustomerListView.vue'),
  'customer-conflicts': () => import('@/modules/identity/views/ConflictsView.vue'),
  'customer-import': () => import('@/modules/customers/views/CustomerImportView.vue'),
  groups: () => import('@/modules/groups/views/GroupListView.vue'),
  'group-codes': () => import('@/modules/groupcodes/views/GroupCodeListView.vue'),
  tags: () => import('@/modules/tags/views/TagsView.vue'),
  'stage-counts': () => import('@/modules/profile/views/StageCountsView.vue'),
  'lost-customers': () => import('@/modules/lost/views/LostCustomersView.vue'),
  duplicates: () => import('@/modules/duplicates/views/DuplicatesView.vue'),
  'settings-profile': () => import('@/modules/profile/views/ProfileSettingsView.vue'),
  segments: () => import('@/modules/segments/views/SegmentListView.vue'),
  'settings-corp': () => import('@/modules/integration/views/CorpSettingsView.vue'),
  'settings-sync': () => import('@/modules/sync/views/SyncView.vue'),
  'settings-inbox': () => import('@/modules/inbox/views/InboxView.vue'),
  'settings-wecom-calls': () => import('@/modules/wecom/views/WeComCallsView.vue'),
  'settings-audit': () => import('@/modules/audit/views/AuditLogView.vue'),
  'settings-exports': () => import('@/modules/exports/views/ExportListView.vue'),
  materials: () => import('@/modules/materials/views/MaterialsView.vue'),
  replies: () => import('@/modules/replies/views/RepliesView.vue'),
  acquisition: () => import('@/modules/acquisition/views/AcquisitionView.vue'),
  moments: () => import('@/modules/moments/views/MomentListView.vue'),
  'mass-campaigns': () => import('@/modules/messaging/views/CampaignListView.vue'),
}
const comingSoon = () => import('@/components/ComingSoonView.vue')

const consolePages: RouteRecordRaw[] = NAV_LEAVES.map((leaf) => ({
  path: leaf.path,
  name: leaf.name,
  component: (leaf.ready && PAGES[leaf.name]) || comingSoon,
  meta: { label: leaf.label },
}))

// Detail pages: not in the sidebar; they keep their list's entry highlighted (`meta.nav`).
const detailPages: RouteRecordRaw[] = [
  {
    path: 'customers/:customerId',
    name: 'customer-detail',
    component: () => import('@/modules/customers/views/CustomerDetailView.vue'),
    meta: { label: 'customers', nav: 'customers' },
  },
  {
    path: 'segments/new',
    name: 'segment-new',
    component: () => import('@/modules/segments/views/SegmentBuilderView.vue'),
    meta: { label: 'segments', nav: 'segments' },
  },
  {
    path: 'segments/:segmentId',
    name: 'segment-edit',
    component: () => import('@/modules/segments/views/SegmentBuilderView.vue'),
    meta: { label: 'segments', nav: 'segments' },
  },
  {
    path: 'group-codes/:codeId',
    name: 'group-code-detail',
    component: () => import('@/modules/groupcodes/views/GroupCodeDetailView.vue'),
    meta: { label: 'groupCodes', nav: 'group-codes' },
  },
  {
    path: 'groups/:groupId',
    name: 'group-detail',
    component: () => import('@/modules/groups/views/GroupDetailView.vue'),
    meta: { label: 'groups', nav: 'groups' },
  },
  {
    path: 'moments/:postId',
    name: 'moment-detail',
    component: () => import('@/modules/moments/views/MomentDetailView.vue'),
    meta: { label: 'moments', nav: 'moments' },
  },
  {
    path: 'mass-campaigns/:campaignId',
    name: 'mass-campaign-detail',
    component: () => import('@/modules/messaging/views/CampaignDetailView.vue'),
    meta: { label: 'massCampaigns', nav: 'mass-campaigns' },
  },
]

const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('@/modules/auth/views/LoginView.vue'),
    meta: { public: true },
  },
  { path: '/', name: 'home', component: comingSoon },
  {
    path: '/no-corp',
    name: 'no-corp',
    component: () => import('@/modules/corps/NoCorpView.vue'),
  },
  {
    path: '/c/:corpId',
    component: ConsoleLayout,
    children: [{ path: '', redirect: { name: 'dashboard' } }, ...consolePages, ...detailPages],
  },
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('@/components/NotFoundView.vue'),
    meta: { public: true },
  },
]

export const router = createRouter({ history: createWebHistory('/'), routes })
installGuards(router)

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean
    /** Key under `nav.` naming the page. */
    label?: string
    /** Sidebar entry to highlight when the page is not in the sidebar itself. */
    nav?: string
  }
}
