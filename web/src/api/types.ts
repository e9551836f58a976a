/** Shorthands for reading request and response shapes out of the generated `paths`. */
import type { paths } from './schema'

type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : never

/** The JSON body of the 200 response of `method` on `path`. */
export type ResponseBody<
  P extends keyof paths,
  M extends keyof paths[P] & ('get' | 'post' | 'put' | 'patch' | 'delete'),
> = paths[P][M] extends { responses: { 200: infer R } } ? JsonOf<R> : never

/** The JSON request body of `method` on `path`. */
export type RequestBody<
  P extends keyof paths,
  M extends keyof paths[P] & ('post' | 'put' | 'patch'),
> = paths[P][M] extends { requestBody: infer B } ? JsonOf<NonNullable<B>> : never

/** A keyset page as every list endpoint returns it. */
export interface KeysetPage<T> {
  items: T[]
  next_cursor?: string | null
}
