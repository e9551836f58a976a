/** Group codes service: codes, their pools and routes, joins and phone lists. */
import { api, unwrap } from '@/api/client'
import type { RequestBody, ResponseBody } from '@/api/types'

export type GroupCode = ResponseBody<'/api/v1/corps/{corp_id}/group-codes', 'get'>[number]
export type GroupCodeDetail = ResponseBody<'/api/v1/corps/{corp_id}/group-codes/{code_id}', 'get'>
export type GroupCodeSlot = GroupCodeDetail['slots'][number]
export type GroupCodeCreate = RequestBody<'/api/v1/corps/{corp_id}/group-codes', 'post'>
export type GroupCodeUpdate = RequestBody<'/api/v1/corps/{corp_id}/group-codes/{code_id}', 'patch'>
export type DailyJoins = ResponseBody<'/api/v1/corps/{corp_id}/group-codes/{code_id}/joins', 'get'>
export type PhoneImport = ResponseBody<'/api/v1/corps/{corp_id}/group-codes/{code_id}/phones', 'post'>

export function listGroupCodes(corpId: string): Promise<GroupCode[]> {
  return unwrap(api.GET('/api/v1/corps/{corp_id}/group-codes', { params: { path: { corp_id: corpId } } }))
}

export function getGroupCode(corpId: string, codeId: string): Promise<GroupCodeDetail> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/group-codes/{code_id}', {
      params: { path: { corp_id: corpId, code_id: codeId } },
    }),
  )
}

export function createGroupCode(corpId: string, body: GroupCodeCreate): Promise<GroupCodeDetail> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/group-codes', { params: { path: { corp_id: corpId } }, body }),
  )
}

export function updateGroupCode(
  corpId: string,
  codeId: string,
  body: GroupCodeUpdate,
): Promise<GroupCodeDetail> {
  return unwrap(
    api.PATCH('/api/v1/corps/{corp_id}/group-codes/{code_id}', {
      params: { path: { corp_id: corpId, code_id: codeId } },
      body,
    }),
  )
}

export async function deleteGroupCode(corpId: string, codeId: string): Promise<void> {
  await unwrap(
    api.DELETE('/api/v1/corps/{corp_id}/group-codes/{code_id}', {
      params: { path: { corp_id: corpId, code_id: codeId } },
    }),
  )
}

export function listJoins(corpId: string, codeId: string, since: string): Promise<DailyJoins> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/group-codes/{code_id}/joins', {
      params: { path: { corp_id: corpId, code_id: codeId }, query: { since } },
    }),
  )
}

export function uploadPhones(corpId: string, codeId: string, file: File, replace: boolean): Promise<PhoneImport> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/group-codes/{code_id}/phones', {
      params: { path: { corp_id: corpId, code_id: codeId }, query: { file_name: file.name, replace } },
      // The file itself is the body (no multipart): send it untouched.
      body: file as unknown as string,
      bodySerializer: (body: unknown) => body as BodyInit,
      headers: { 'Content-Type': file.type || 'application/octet-stream' },
    }),
  ) as Promise<PhoneImport>
}
