/** Tags service: corp tag groups and tags, and marking tags on a customer relation. */
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import type { ResponseBody } from '@/api/types'

export type TagGroup = ResponseBody<'/api/v1/corps/{corp_id}/tag-groups', 'get'>[number]
export type Tag = TagGroup['tags'][number]
export type TagChange = ResponseBody<'/api/v1/corps/{corp_id}/tag-changes/{change_id}', 'get'>

export function listTagGroups(corpId: string): Promise<TagGroup[]> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/tag-groups', { params: { path: { corp_id: corpId } } }),
  )
}

export function createTagGroup(
  corpId: string,
  body: { name: string; origin?: 'wecom' | 'siyu'; tags?: { name: string }[] },
): Promise<TagGroup> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/tag-groups', {
      params: { path: { corp_id: corpId } },
      body: {
        name: body.name,
        order: 0,
        origin: body.origin ?? 'wecom',
        tags: (body.tags ?? []).map((t) => ({ ...t, order: 0 })),
      },
    }),
  )
}

export function renameTagGroup(corpId: string, groupId: string, name: string): Promise<TagGroup> {
  return unwrap(
    api.PATCH('/api/v1/corps/{corp_id}/tag-groups/{tag_group_id}', {
      params: { path: { corp_id: corpId, tag_group_id: groupId } },
      body: { name },
    }),
  )
}

export function deleteTagGroup(corpId: string, groupId: string): Promise<void> {
  return unwrap(
    api.DELETE('/api/v1/corps/{corp_id}/tag-groups/{tag_group_id}', {
      params: { path: { corp_id: corpId, tag_group_id: groupId } },
    }),
  ) as Promise<void>
}

export function createTag(corpId: string, groupId: string, name: string): Promise<Tag> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/tag-groups/{tag_group_id}/tags', {
      params: { path: { corp_id: corpId, tag_group_id: groupId } },
      body: { name, order: 0 },
    }),
  )
}

export function renameTag(corpId: string, tagId: string, name: string): Promise<Tag> {
  return unwrap(
    api.PATCH('/api/v1/corps/{corp_id}/tags/{tag_id}', {
      params: { path: { corp_id: corpId, tag_id: tagId } },
      body: { name },
    }),
  )
}

export function deleteTag(corpId: string, tagId: string): Promise<void> {
  return unwrap(
    api.DELETE('/api/v1/corps/{corp_id}/tags/{tag_id}', {
      params: { path: { corp_id: corpId, tag_id: tagId } },
    }),
  ) as Promise<void>
}

/** Mark `add` and unmark `remove` on the customer's relation with staff member `userid`. */
export function markCustomerTags(
  corpId: string,
  customerId: string,
  body: { userid: string; add: string[]; remove: string[] },
): Promise<TagChange> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/customers/{customer_id}/tags', {
      params: { path: { corp_id: corpId, customer_id: customerId } },
      body,
    }),
  )
}

export type BulkTagJob = components['schemas']['BulkTagJob']

/** Tag or untag a selection or a saved segment as a queued job; poll `getTagJob` for progress. */
export function startTagJob(
  corpId: string,
  body: { action: 'add' | 'remove'; tagIds: string[]; customerIds?: string[]; segmentId?: string },
): Promise<BulkTagJob> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/tag-jobs', {
      params: { path: { corp_id: corpId } },
      body: {
        action: body.action,
        tag_ids: body.tagIds,
        customer_ids: body.customerIds ?? null,
        segment_id: body.segmentId ?? null,
      },
    }),
  )
}

export function getTagJob(corpId: string, jobId: string): Promise<BulkTagJob> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/tag-jobs/{tag_job_id}', {
      params: { path: { corp_id: corpId, tag_job_id: jobId } },
    }),
  )
}
