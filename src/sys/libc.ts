/**
 * The few libc calls Node lacks, through koffi: a maintained FFI with
 * prebuilt binaries, so berth needs no compiler and no helper process.
 * Loaded on first use; each call returns -1 and leaves errno on failure, as
 * in C, and `fail` turns that into an Error with the errno's name.
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

export interface Libc {
  socket: (domain: number, type: number, protocol: number) => number
  connect: (fd: number, addr: Buffer, len: number) => number
  close: (fd: number) => number
  mount: (source: string, target: string, fstype: string, flags: number, data: string | null) => number
  umount2: (target: string, flags: number) => number
  mkfifo: (path: string, mode: number) => number
  errno: () => number
}

let lib: Libc | undefined

/** The bound functions (loads libc on the first call; about 13 ms). */
export function libc (): Libc {
  if (lib !== undefined) return lib
  const koffi = require('koffi') as typeof import('koffi')
  const c = koffi.load('libc.so.6')
  lib = {
    socket: c.func('int socket(int, int, int)') as Libc['socket'],
    connect: c.func('int connect(int, const void *, uint32_t)') as Libc['connect'],
    close: c.func('int close(int)') as Libc['close'],
    mount: c.func('int mount(const char *, const char *, const char *, unsigned long, const char *)') as Libc['mount'],
    umount2: c.func('int umount2(const char *, int)') as Libc['umount2'],
    mkfifo: c.func('int mkfifo(const char *, uint32_t)') as Libc['mkfifo'],
    errno: () => koffi.errno()
  }
  return lib
}

const NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 13: 'EACCES', 16: 'EBUSY', 17: 'EEXIST', 20: 'ENOTDIR', 22: 'EINVAL',
  28: 'ENOSPC', 91: 'EPROTOTYPE', 111: 'ECONNREFUSED'
}

/** An Error for a failed call, with `code` set to the errno's name. */
export function fail (call: string, what: string): NodeJS.ErrnoException {
  const errno = libc().errno()
  const code = NAMES[errno] ?? `errno ${errno}`
  return Object.assign(new Error(`${call} ${what}: ${code}`), { code, errno })
}
