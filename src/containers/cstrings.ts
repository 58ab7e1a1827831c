/**
 * What the kernel takes as C strings (argv, env, paths) must fit it: no NUL
 * byte, and a path within PATH_MAX. Checked before the runtime sees a value:
 * runc's errors quote the value whole, and a message over 64 KiB fills the pipe
 * conmon reads only after runc exits, so a create hung for a minute.
 */
import { invalid } from '../errors.js'

/** Linux's PATH_MAX, the terminating NUL included. */
const PATH_MAX = 4096

/** Refuses a path the kernel would refuse with ENAMETOOLONG. */
export function checkPathLength (what: string, path: string): void {
  const bytes = Buffer.byteLength(path)
  if (bytes >= PATH_MAX) throw invalid(`${what} is ${bytes} bytes long: the kernel's limit for a path is ${PATH_MAX - 1} bytes`)
}

/** The dotted path of the first string in `v` holding a NUL byte, or undefined. */
export function nulAt (v: unknown, path = ''): string | undefined {
  if (typeof v === 'string') return v.includes('\0') ? path : undefined
  if (typeof v !== 'object' || v === null) return undefined
  for (const [k, x] of Object.entries(v)) {
    const found = nulAt(x, path === '' ? k : `${path}.${k}`)
    if (found !== undefined) return found
  }
  return undefined
}

/** Refuses `v` when a string in it holds a NUL byte, naming where. */
export function checkNoNul (v: unknown, what = ''): void {
  const at = nulAt(v, what)
  if (at !== undefined) throw invalid(`${at} must not contain a NUL byte`)
}
