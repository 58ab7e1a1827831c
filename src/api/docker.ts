/** Docker-Engine API conventions shared by the routes: versions and booleans. */

/** The API version berthd speaks, and the oldest it accepts under /vX.Y/. */
export const API_VERSION = '1.44'
export const MIN_API_VERSION = '1.24'

const num = (v: string): number => { const [a, b] = v.split('.'); return Number(a) * 1000 + Number(b) }

/** Docker's answer to a /vX.Y/ prefix outside the supported range, or undefined if it is fine. */
export function versionError (v: string): string | undefined {
  if (num(v) > num(API_VERSION)) return `client version ${v} is too new. Maximum supported API version is ${API_VERSION}`
  if (num(v) < num(MIN_API_VERSION)) return `client version ${v} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`
  return undefined
}

/** True when API version `v` is older than `than` ("1.41" before "1.42"). */
export const versionBefore = (v: string, than: string): boolean => num(v) < num(than)

/** Splits "/v1.44/containers/json" into the version and the bare path. */
export function splitVersion (url: string): { version?: string, url: string } {
  const m = /^\/v(\d+\.\d+)(\/.*)?$/.exec(url)
  if (m === null) return { url }
  return { version: m[1]!, url: m[2] ?? '/' }
}

/** Docker's boolean query values (moby httputils.BoolValue). */
export function bool (v: string | undefined, dflt = false): boolean {
  if (v === undefined) return dflt
  return !['', '0', 'no', 'false', 'none'].includes(v.trim().toLowerCase())
}
