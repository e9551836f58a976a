/** Auth service: session (login, me, logout) and the signed-in user's password. */
import { api, unwrap } from '@/api/client'
import type { RequestBody, ResponseBody } from '@/api/types'

export type SessionInfo = ResponseBody<'/api/v1/auth/me', 'get'>
export type SessionUser = SessionInfo['user']
export type Membership = SessionInfo['memberships'][number]
export type PasswordChange = RequestBody<'/api/v1/users/me/password', 'patch'>

export function login(email: string, password: string): Promise<SessionInfo> {
  return unwrap(api.POST('/api/v1/auth/login', { body: { email, password } }))
}

export function fetchSession(): Promise<SessionInfo> {
  return unwrap(api.GET('/api/v1/auth/me'))
}

export async function logout(): Promise<void> {
  await unwrap(api.POST('/api/v1/auth/logout'))
}

export async function changePassword(body: PasswordChange): Promise<void> {
  await unwrap(api.PATCH('/api/v1/users/me/password', { body }))
}
