/** Mass messages: campaigns, the reach preview, tasks, results, the report, remind and cancel. */
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'

type Schemas = components['schemas']
export type Campaign = Schemas['Campaign']
export type CampaignCreate = Schemas['CampaignCreate']
export type CampaignPage = Schemas['Page_Campaign_']
export type ReachPreview = Schemas['ReachPreview']
export type MassTask = Schemas['Task']
export type CampaignReport = Schemas['CampaignReport']
export type RecipientPage = Schemas['Page_Recipient_']
export type RemindResult = Schemas['RemindResult']

const path = (corpId: string) => ({ path: { corp_id: corpId } })
const one = (corpId: string, campaignId: string) => ({ path: { corp_id: corpId, campaign_id: campaignId } })

export function listCampaigns(corpId: string, cursor: string | null): Promise<CampaignPage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/mass-campaigns', {
      params: { ...path(corpId), query: { cursor: cursor ?? undefined } },
    }),
  )
}

export function previewCampaign(corpId: string, body: CampaignCreate): Promise<ReachPreview> {
  return unwrap(api.POST('/api/v1/corps/{corp_id}/mass-campaigns/preview', { params: path(corpId), body }))
}

export function createCampaign(corpId: string, body: CampaignCreate): Promise<Campaign> {
  return unwrap(api.POST('/api/v1/corps/{corp_id}/mass-campaigns', { params: path(corpId), body }))
}

export function getCampaign(corpId: string, campaignId: string): Promise<Campaign> {
  return unwrap(api.GET('/api/v1/corps/{corp_id}/mass-campaigns/{campaign_id}', { params: one(corpId, campaignId) }))
}

export function listTasks(corpId: string, campaignId: string): Promise<MassTask[]> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/mass-campaigns/{campaign_id}/tasks', { params: one(corpId, campaignId) }),
  )
}

export function getReport(corpId: string, campaignId: string): Promise<CampaignReport> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/mass-campaigns/{campaign_id}/report', { params: one(corpId, campaignId) }),
  )
}

export function listLeftOut(corpId: string, campaignId: string, cursor: string | null): Promise<RecipientPage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/mass-campaigns/{campaign_id}/recipients', {
      params: { ...one(corpId, campaignId), query: { status: 'left_out', cursor: cursor ?? undefined } },
    }),
  )
}

export function remindCampaign(corpId: string, campaignId: string): Promise<RemindResult> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/mass-campaigns/{campaign_id}/remind', { params: one(corpId, campaignId) }),
  )
}

export function cancelCampaign(corpId: string, campaignId: string): Promise<Campaign> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/mass-campaigns/{campaign_id}/cancel', { params: one(corpId, campaignId) }),
  )
}

export function refreshCampaign(corpId: string, campaignId: string): Promise<Campaign> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/mass-campaigns/{campaign_id}/refresh', { params: one(corpId, campaignId) }),
  )
}
