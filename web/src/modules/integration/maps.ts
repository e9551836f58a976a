/** Mapper and helpers for the integration page: the callback URL and fresh random secrets. */

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** The URL to paste into WeCom's admin console; the server's own answer wins when known. */
export function callbackUrl(callbackKey: string, origin: string = window.location.origin): string {
  return `${origin.replace(/\/+$/, '')}/wecom/callback/${callbackKey}`
}

/** `length` random letters and digits from the browser's CSPRNG (rejection sampling, no bias). */
export function randomAlphanumeric(length: number): string {
  const out: string[] = []
  const limit = 256 - (256 % ALPHANUMERIC.length)
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < limit && out.length < length) out.push(ALPHANUMERIC[byte % ALPHANUMERIC.length]!)
    }
  }
  return out.join('')
}

/** WeCom's EncodingAESKey: exactly 43 letters and digits. */
export const newAesKey = (): string => randomAlphanumeric(43)
/** A callback token: WeCom accepts up to 32 letters and digits. */
export const newToken = (): string => randomAlphanumeric(32)
