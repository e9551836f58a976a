/** Customer groups service: WeCom group chats and their members. */
import { api, unwrap } from '@/api/client'
import type { ResponseBody } from '@/api/types'

export type GroupPage = ResponseBody<'/api/v1/corps/{corp_id}/groups', 'get'>
export type CustomerGroup = GroupPage['items'][number]
export type CustomerGroupDetail = ResponseBody<'/api/v1/corps/{corp_id}/groups/{group_id}', 'get'>
export type GroupMember = CustomerGroupDetail['members'][number]

export function listGroups(
  corpId: string,
  query: { cursor?: string | null; limit?: number } = {},
): Promise<GroupPage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/groups', {
      params: {
        path: { corp_id: corpId },
        query: { cursor: query.cursor ?? undefined, limit: query.limit },
      },
    }),
  )
}

export function getGroup(corpId: string, groupId: string): Promise<CustomerGroupDetail> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/groups/{group_id}', {
      params: { path: { corp_id: corpId, group_id: groupId } },
    }),
  )
}
