/**
 * The libc calls Node lacks, through koffi: a maintained FFI with prebuilt
 * binaries, so berth needs no compiler and no helper process. Loaded on first
 * use (about 13 ms). The raw bindings return -1 and leave errno, as in C;
 * the wrappers below throw an Error whose `code` is the errno's name.
 */
import { createRequire } from 'node:module'
import { Socket } from 'node:net'
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
  socketpair: (domain: number, type: number, protocol: number, fds: Buffer) => number
  fcntl: (fd: number, cmd: number, arg: number) => number
  /** ioctl(2), variadic: the argument after the request is a koffi type name, then its value. */
  ioctl: (fd: number, request: number, ...typedArg: unknown[]) => number
  waitpid: (pid: number, status: number[], options: number) => number
  posix_spawn: (pid: number[], path: string, fileActions: Buffer, attr: Buffer, argv: Array<string | null>, envp: Array<string | null>) => number
  posix_spawn_file_actions_init: (fa: Buffer) => number
  posix_spawn_file_actions_destroy: (fa: Buffer) => number
  posix_spawn_file_actions_addopen: (fa: Buffer, fd: number, path: string, flags: number, mode: number) => number
  posix_spawn_file_actions_adddup2: (fa: Buffer, fd: number, newfd: number) => number
  posix_spawnattr_init: (attr: Buffer) => number
  posix_spawnattr_destroy: (attr: Buffer) => number
  posix_spawnattr_setflags: (attr: Buffer, flags: number) => number
  posix_spawnattr_setsigdefault: (attr: Buffer, set: Buffer) => number
  posix_spawnattr_setsigmask: (attr: Buffer, set: Buffer) => number
  sigfillset: (set: Buffer) => number
  sigemptyset: (set: Buffer) => number
  chroot: (path: string) => number
  mkdirat: (dirfd: number, path: string, mode: number) => number
  renameat2: (olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number) => number
  /** syscall(2), variadic: each argument after the number is a koffi type name, then its value. */
  syscall: (nr: number, ...typedArgs: unknown[]) => number
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
    socketpair: c.func('int socketpair(int, int, int, void *)') as Libc['socketpair'],
    fcntl: c.func('int fcntl(int, int, int)') as Libc['fcntl'],
    ioctl: c.func('int ioctl(int, unsigned long, ...)') as Libc['ioctl'],
    waitpid: c.func('int waitpid(int, _Out_ int *, int)') as Libc['waitpid'],
    posix_spawn: c.func('int posix_spawn(_Out_ int *, const char *, const void *, const void *, const char **, const char **)') as Libc['posix_spawn'],
    posix_spawn_file_actions_init: c.func('int posix_spawn_file_actions_init(void *)') as Libc['posix_spawn_file_actions_init'],
    posix_spawn_file_actions_destroy: c.func('int posix_spawn_file_actions_destroy(void *)') as Libc['posix_spawn_file_actions_destroy'],
    posix_spawn_file_actions_addopen: c.func('int posix_spawn_file_actions_addopen(void *, int, const char *, int, uint32_t)') as Libc['posix_spawn_file_actions_addopen'],
    posix_spawn_file_actions_adddup2: c.func('int posix_spawn_file_actions_adddup2(void *, int, int)') as Libc['posix_spawn_file_actions_adddup2'],
    posix_spawnattr_init: c.func('int posix_spawnattr_init(void *)') as Libc['posix_spawnattr_init'],
    posix_spawnattr_destroy: c.func('int posix_spawnattr_destroy(void *)') as Libc['posix_spawnattr_destroy'],
    posix_spawnattr_setflags: c.func('int posix_spawnattr_setflags(void *, short)') as Libc['posix_spawnattr_setflags'],
    posix_spawnattr_setsigdefault: c.func('int posix_spawnattr_setsigdefault(void *, const void *)') as Libc['posix_spawnattr_setsigdefault'],
    posix_spawnattr_setsigmask: c.func('int posix_spawnattr_setsigmask(void *, const void *)') as Libc['posix_spawnattr_setsigmask'],
    sigfillset: c.func('int sigfillset(void *)') as Libc['sigfillset'],
    sigemptyset: c.func('int sigemptyset(void *)') as Libc['sigemptyset'],
    chroot: c.func('int chroot(const char *)') as Libc['chroot'],
    mkdirat: c.func('int mkdirat(int, const char *, uint32_t)') as Libc['mkdirat'],
    renameat2: c.func('int renameat2(int, const char *, int, const char *, unsigned int)') as Libc['renameat2'],
    syscall: c.func('long syscall(long, ...)') as Libc['syscall'],
    errno: () => koffi.errno()
  }
  return lib
}

interface PipeHandle { open: (fd: number) => number }
interface PipeWrap { Pipe: new (type: number) => PipeHandle, constants: { SOCKET: number } }
function pipeWrap (): PipeWrap {
  // process.binding is documented as deprecated, but pipe_wrap stays on its allow-list in Node 20
  // and is what child_process uses for the same job; there is no public way to adopt such an fd.
  return (process as unknown as { binding: (name: string) => PipeWrap }).binding('pipe_wrap')
}

/** True when this Node can adopt fds as stream handles (see adoptFd). */
export const canAdoptFds = (): boolean => typeof pipeWrap().Pipe === 'function'

/** Hands an open fd (a pipe or a socket) to libuv as a stream; the Socket owns it from then on. */
export function adoptFd (fd: number, readable: boolean, writable: boolean): Socket {
  const { Pipe, constants: pc } = pipeWrap()
  const handle = new Pipe(pc.SOCKET)
  const rc = handle.open(fd)
  if (rc !== 0) throw new Error(`cannot adopt fd ${fd}: libuv error ${rc}`)
  return new Socket({ handle, readable, writable } as unknown as ConstructorParameters<typeof Socket>[0])
}

/** The name of errno `n` (ENOENT, …). */
export const errnoName = (n: number): string => Object.entries(constants.errno).find(([, v]) => v === n)?.[0] ?? `errno ${n}`

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

/** glibc's major(3) and minor(3). */
export const major = (dev: number): number => { const d = BigInt(dev); return Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn)) }
export const minor = (dev: number): number => { const d = BigInt(dev); return Number((d & 0xffn) | ((d >> 12n) & ~0xffn)) }

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

/**
 * lgetxattr's buffer, reused (calls are synchronous): the values looked up per
 * file (capabilities, overlay's marks) are a few bytes, and handing koffi a
 * fresh 64 KiB buffer cost some 35 µs a call, a missing xattr's Error 25 more.
 */
const XATTR_SCRATCH = Buffer.alloc(256)
const XATTR_SIZE_MAX = 65536

/** lgetxattr(2), or undefined when the entry has no such xattr. */
export function lgetxattr (path: string, name: string): Buffer | undefined {
  for (let buf = XATTR_SCRATCH; ; buf = Buffer.alloc(XATTR_SIZE_MAX)) {
    const n = libc().lgetxattr(path, name, buf, buf.length)
    if (n >= 0) return Buffer.from(buf.subarray(0, n))
    const errno = libc().errno()
    if (errno === constants.errno.ENODATA) return undefined
    if (errno !== constants.errno.ERANGE || buf !== XATTR_SCRATCH) throw fail('lgetxattr', path)
  }
}

const RENAME_NOREPLACE = 1

/**
 * renameat2(2) with RENAME_NOREPLACE: moves `name` from the dir `fromFd` to
 * the dir `toFd`, never over an entry already there (EEXIST). rename never
 * follows its last component, so a symlink planted at `name` in the target
 * is left alone, never written through.
 */
export function renameNoReplace (fromFd: number, toFd: number, name: string): void {
  if (libc().renameat2(fromFd, name, toFd, name, RENAME_NOREPLACE) < 0) throw fail('renameat2', name)
}

/** chroot(2) then chdir("/"): every later path, and every symlink met on the way, resolves inside `path`. */
export function chroot (path: string): void {
  if (libc().chroot(path) < 0) throw fail('chroot', path)
  process.chdir('/')
}
