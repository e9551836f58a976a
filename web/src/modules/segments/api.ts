/** Segments service: evaluate condition trees (count, preview, export) and keep saved segments. */
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import type { RequestBody } from '@/api/types'

export type Condition = RequestBody<'/api/v1/corps/{corp_id}/segments/count', 'post'>['condition']
export type Segment = components['schemas']['Segment']
export type SegmentCount = components['schemas']['SegmentCount']
export type CustomerPage = components['schemas']['Page_Customer_']
export type Export = components['schemas']['Export']

const path = (corpId: string) => ({ path: { corp_id: corpId } })

export function countCondition(corpId: string, condition: Condition): Promise<SegmentCount> {
  return unwrap(api.POST('/api/v1/corps/{corp_id}/segments/count', { params: path(corpId), body: { condition } }))
}

export function previewCondition(corpId: string, condition: Condition, cursor: string | null): Promise<CustomerPage> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/segments/preview', {
      params: path(corpId),
      body: { condition, cursor, limit: 20 },
    }),
  )
}

export function exportCondition(corpId: string, condition: Condition): Promise<Export> {
  return unwrap(api.POST('/api/v1/corps/{corp_id}/segments/export', { params: path(corpId), body: { condition } }))
}

export function listSegments(corpId: string, cursor: string | null): Promise<{ items: Segment[]; next_cursor?: string | null }> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/segments', {
      params: { path: { corp_id: corpId }, query: { cursor: cursor ?? undefined, limit: 50 } },
    }),
  )
}

export function getSegment(corpId: string, segmentId: string): Promise<Segment> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/segments/{segment_id}', {
      params: { path: { corp_id: corpId, segment_id: segmentId } },
    }),
  )
}

export function createSegment(corpId: string, name: string, condition: Condition): Promise<Segment> {
  return unwrap(api.POST('/api/v1/corps/{corp_id}/segments', { params: path(corpId), body: { name, condition } }))
}

export function updateSegment(corpId: string, segmentId: string, name: string, condition: Condition): Promise<Segment> {
  return unwrap(
    api.PATCH('/api/v1/corps/{corp_id}/segments/{segment_id}', {
      params: { path: { corp_id: corpId, segment_id: segmentId } },
      body: { name, condition },
    }),
  )
}

export function deleteSegment(corpId: string, segmentId: string): Promise<void> {
  return unwrap(
    api.DELETE('/api/v1/corps/{corp_id}/segments/{segment_id}', {
      params: { path: { corp_id: corpId, segment_id: segmentId } },
    }),
  ) as Promise<void>
}
