/**
 * The one HTTP client of the console, typed by `schema.d.ts` (generated from the API's OpenAPI
 * document by `npm run gen:api`; never edit it by hand).
 *
 * Sessions are a same-origin cookie; unsafe methods also carry the CSRF token that login and
 * `/auth/me` return. A 401 on any other call means the session ended, so the app goes to /login.
 */
import createClient, { type Middleware } from 'openapi-fetch'

import { ApiError } from './errors'
import type { paths } from './schema'

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
// A 401 from these is an answer ("wrong password", "not signed in"), not an expired session.
const SESSION_PROBES = ['/api/v1/auth/login', '/api/v1/auth/me']

let csrfToken: string | null = null
let onUnauthorized: () => void = () => {}

export function setCsrfToken(token: string | null): void {
  csrfToken = token
}

export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler
}

const sessionMiddleware: Middleware = {
  onRequest({ request }) {
    if (csrfToken && UNSAFE_METHODS.has(request.method.toUpperCase())) {
      request.headers.set('X-CSRF-Token', csrfToken)
    }
    return request
  },
  onResponse({ request, response }) {
    const path = new URL(request.url, window.location.origin).pathname
    if (response.status === 401 && !SESSION_PROBES.includes(path)) onUnauthorized()
    return response
  },
}

export const api = createClient<paths>({
  baseUrl: window.location.origin,
  credentials: 'same-origin',
})
api.use(sessionMiddleware)

interface Result<T> {
  data?: T
  error?: unknown
  response: Response
}

/** Await a client call and return its body, or throw the error envelope as an `ApiError`. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>
  try {
    result = await call
  } catch (cause) {
    throw new ApiError(0, 'network_error', cause instanceof Error ? cause.message : String(cause))
  }
  if (!result.response.ok) throw ApiError.fromResponse(result.response, result.error)
  return result.data as T
}
