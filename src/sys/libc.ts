/**
 * The libc calls Node lacks, through koffi: a maintained FFI with prebuilt
 * binaries, so berth needs no compiler and no helper process. Loaded on first
 * use (about 13 ms). The raw bindings return -1 and leave errno, as in C;
 * the wrappers below throw an Error whose `code` is the errno's name.
 */
import { createRequire } from 'node:module'
import { constants } from 'node:os'

const require = createRequire(import.meta.url)

export interface Libc {
  socket: (domain: number, type: number, protocol: number) => number
  connect: (fd: number, addr: Buffer, len: number) => number
  close: (fd: number) => number
  mount: (source: string, target: string, fstype: string, flags: number, data: string | null) => number
  umount2: (target: string, flags: number) => number
  mkfifo: (path: string, mode: number) => number
  mknod: (path: string, mode: number, dev: bigint) => number
  lsetxattr: (path: string, name: string, value: Buffer, size: number, flags: number) => number
  lgetxattr: (path: string, name: string, value: Buffer, size: number) => number
  errno: () => number
}

let lib: Libc | undefined

/** The bound functions. */
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
    mknod: c.func('int mknod(const char *, uint32_t, uint64_t)') as Libc['mknod'],
    lsetxattr: c.func('int lsetxattr(const char *, const char *, const void *, size_t, int)') as Libc['lsetxattr'],
    lgetxattr: c.func('long lgetxattr(const char *, const char *, void *, size_t)') as Libc['lgetxattr'],
    errno: () => koffi.errno()
  }
  return lib
}

const errnoName = (n: number): string => Object.entries(constants.errno).find(([, v]) => v === n)?.[0] ?? `errno ${n}`

/** An Error for the call that just failed, with `code` set to the errno's name. */
export function fail (call: string, what: string): NodeJS.ErrnoException {
  const errno = libc().errno()
  const code = errnoName(errno)
  return Object.assign(new Error(`${call} ${what}: ${code}`), { code, errno })
}

/** glibc's makedev(3). */
export function makedev (major: number, minor: number): bigint {
  const ma = BigInt(major); const mi = BigInt(minor)
  return (mi & 0xffn) | ((ma & 0xfffn) << 8n) | ((mi & ~0xffn) << 12n) | ((ma & ~0xfffn) << 32n)
}

export const S_IFCHR = 0o020000
export const S_IFBLK = 0o060000
export const S_IFIFO = 0o010000

/** mknod(2); `mode` includes the file type bits. */
export function mknod (path: string, mode: number, major = 0, minor = 0): void {
  if (libc().mknod(path, mode, makedev(major, minor)) < 0) throw fail('mknod', path)
}

/** lsetxattr(2): sets an xattr on the entry itself, never on a symlink's target. */
export function lsetxattr (path: string, name: string, value: Buffer): void {
  if (libc().lsetxattr(path, name, value, value.length, 0) < 0) throw fail('lsetxattr', path)
}

/** lgetxattr(2), or undefined when the entry has no such xattr. */
export function lgetxattr (path: string, name: string): Buffer | undefined {
  const buf = Buffer.alloc(65536)
  const n = libc().lgetxattr(path, name, buf, buf.length)
  if (n < 0) {
    const err = fail('lgetxattr', path)
    if (err.code === 'ENODATA') return undefined
    throw err
  }
  return buf.subarray(0, n)
}
