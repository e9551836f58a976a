/**
 * The API's one error envelope, `{"error": {"code", "message", "details"}}`, as a thrown value.
 * Views branch on `code` (stable) and show `message` (human text from the server) otherwise.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
    /** Seconds from the Retry-After header of a 429, when the server sent one. */
    readonly retryAfter: number | null = null,
  ) {
    super(message)
    this.name = 'ApiError'
  }

  static fromResponse(response: Response, body: unknown): ApiError {
    const envelope = isEnvelope(body) ? body.error : null
    const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10)
    return new ApiError(
      response.status,
      envelope?.code ?? `http_${response.status}`,
      envelope?.message ?? (response.statusText || `HTTP ${response.status}`),
      envelope?.details ?? null,
      Number.isFinite(retryAfter) ? retryAfter : null,
    )
  }
}

interface Envelope {
  error: { code: string; message: string; details?: unknown }
}

function isEnvelope(body: unknown): body is Envelope {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false
  const error = (body as { error: unknown }).error
  return typeof error === 'object' && error !== null && 'code' in error && 'message' in error
}
