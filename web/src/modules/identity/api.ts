/** Identity service: a person's identities and merge history, merges, splits, conflicts. */
import { api, unwrap } from '@/api/client'
import type { ResponseBody } from '@/api/types'

export type Identity = ResponseBody<'/api/v1/corps/{corp_id}/customers/{customer_id}/identities', 'get'>[number]
export type Merge = ResponseBody<'/api/v1/corps/{corp_id}/customers/{customer_id}/merges', 'get'>[number]
export type ConflictPage = ResponseBody<'/api/v1/corps/{corp_id}/identity/conflicts', 'get'>
export type Conflict = ConflictPage['items'][number]

export function listIdentities(corpId: string, customerId: string): Promise<Identity[]> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/customers/{customer_id}/identities', {
      params: { path: { corp_id: corpId, customer_id: customerId } },
    }),
  )
}

export function listMerges(corpId: string, customerId: string): Promise<Merge[]> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/customers/{customer_id}/merges', {
      params: { path: { corp_id: corpId, customer_id: customerId } },
    }),
  )
}

export function undoMerge(corpId: string, mergeId: string): Promise<unknown> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/identity/merges/{merge_id}/undo', {
      params: { path: { corp_id: corpId, merge_id: mergeId } },
    }),
  )
}

export function splitCustomer(corpId: string, customerId: string, identityIds: string[]): Promise<unknown> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/customers/{customer_id}/split', {
      params: { path: { corp_id: corpId, customer_id: customerId } },
      body: { identity_ids: identityIds },
    }),
  )
}

export function listConflicts(
  corpId: string,
  query: { cursor?: string | null; status?: 'open' | 'merged' | 'kept_apart' } = {},
): Promise<ConflictPage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/identity/conflicts', {
      params: {
        path: { corp_id: corpId },
        query: { cursor: query.cursor ?? undefined, status: query.status ?? 'open' },
      },
    }),
  )
}

export function resolveConflict(
  corpId: string,
  conflictId: string,
  action: 'merge' | 'keep_apart',
): Promise<Conflict> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/identity/conflicts/{conflict_id}/resolve', {
      params: { path: { corp_id: corpId, conflict_id: conflictId } },
      body: { action },
    }),
  )
}
