/**
 * Paths inside a container's root, resolved by the kernel as if chrooted
 * there: openat2(2) with RESOLVE_IN_ROOT, so an absolute symlink, `..` or a
 * symlink swapped in by a running container never leaves the root (what
 * Docker's FollowSymlinkInScope does in user space, without its race).
 * Nothing here opens a container's file in a way that can block: the entry
 * is first opened O_PATH (no open(2) side effects, no FIFO wait), checked to
 * be a regular file, and only then re-opened for reading through its own fd.
 * The reads are capped, so `/etc/passwd -> /dev/zero` or a 1 GiB file costs
 * the daemon nothing.
 */
import { closeSync, fstatSync, lchownSync, openSync, read as readCb, readlinkSync } from 'node:fs'
import { posix } from 'node:path'
import { promisify } from 'node:util'
import { fail, libc } from './libc.js'

const read = promisify(readCb)

// openat2(2) has the same number on every architecture (the unified syscall table since 5.1).
const SYS_openat2 = 437
const O_RDONLY = 0
const O_PATH = 0o10000000
const O_CLOEXEC = 0o2000000
const O_NONBLOCK = 0o4000
const O_NOCTTY = 0o400
const O_DIRECTORY = process.arch === 'arm64' ? 0o40000 : 0o200000
const RESOLVE_NO_MAGICLINKS = 0x02
const RESOLVE_IN_ROOT = 0x10
// The kernel's own bound on symlinks in one lookup.
const MAX_LINKS = 40

/** An fs-style error (`code` an errno name) for a path in the root. */
const error = (code: string, message: string): NodeJS.ErrnoException => Object.assign(new Error(message), { code })

/** `path` as openat2 wants it below the root: relative, `..` kept (the kernel clamps it at the root). */
const below = (path: string): string => path.replace(/^\/+/, '') || '.'

/** openat2(dirfd, path, {flags, resolve: IN_ROOT | NO_MAGICLINKS}); the fd, or throws with the errno's code. */
function openat2 (dirfd: number, path: string, flags: number): number {
  const how = Buffer.alloc(24) // struct open_how { u64 flags, mode, resolve }
  how.writeBigUInt64LE(BigInt(flags | O_CLOEXEC), 0)
  how.writeBigUInt64LE(BigInt(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), 16)
  const fd = libc().syscall(SYS_openat2, 'int', dirfd, 'const char *', path, 'void *', how, 'size_t', how.length)
  if (fd < 0) throw fail('openat2', path)
  return fd
}

/** An O_PATH fd of the dir `path` (a dirfd for the *at calls; nothing read, nothing blocks). */
export const openDirPath = (path: string): number => openSync(path, O_PATH | O_DIRECTORY | O_CLOEXEC)

/** Runs `fn` with an O_PATH fd of the root dir itself. */
function withRoot<T> (root: string, fn: (rootFd: number) => T): T {
  const rootFd = openDirPath(root)
  try { return fn(rootFd) } finally { closeSync(rootFd) }
}

/**
 * The content of the regular file `path` in `root`, or undefined when there
 * is no such file. Anything else at that path (a FIFO, a device, a dir) is
 * an error with code ENOTREG; more than `max` bytes is EFBIG.
 */
export async function readFileInRoot (root: string, path: string, max: number): Promise<Buffer | undefined> {
  const fd = withRoot(root, rootFd => {
    let pathFd: number
    try {
      pathFd = openat2(rootFd, below(path), O_PATH)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined
      throw err
    }
    try {
      const st = fstatSync(pathFd)
      if (!st.isFile()) throw error('ENOTREG', `${path} is not a regular file`)
      if (st.size > max) throw error('EFBIG', `${path} is larger than ${max} bytes`)
      // Re-opening the O_PATH fd through procfs reads exactly the inode just checked.
      return openSync(`/proc/self/fd/${pathFd}`, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
    } finally {
      closeSync(pathFd)
    }
  })
  if (fd === undefined) return undefined
  try {
    const buf = Buffer.alloc(Math.min(max, fstatSync(fd).size) + 1)
    let n = 0
    for (let got = -1; got !== 0 && n < buf.length;) {
      got = (await read(fd, buf, n, buf.length - n, n)).bytesRead
      n += got
    }
    // The file grew between the check and the read.
    if (n > max) throw error('EFBIG', `${path} is larger than ${max} bytes`)
    return buf.subarray(0, n)
  } finally {
    closeSync(fd)
  }
}

/**
 * mkdir -p of `path` inside `root`: each missing dir is made with mkdirat(2)
 * in its parent as resolved in the root, so a symlink on the way (`/w -> /etc`
 * on the host) leads to the container's own dirs, never the host's.
 */
export function mkdirAllInRoot (root: string, path: string, mode = 0o755, owner?: { uid: number, gid: number }): void {
  const split = (p: string): string[] => posix.normalize(`/${p}`).split('/').filter(x => x !== '')
  let parts = split(path)
  withRoot(root, rootFd => {
    for (let i = 0, links = 0; i < parts.length; i++) {
      const probe = tryOpenDir(rootFd, parts.slice(0, i + 1).join('/'))
      if (probe !== undefined) { closeSync(probe); continue }
      const parent = parts.slice(0, i).join('/')
      const parentFd = openat2(rootFd, below(parent), O_PATH | O_DIRECTORY)
      try {
        if (libc().mkdirat(parentFd, parts[i]!, mode) === 0) {
          // lchown through the parent's fd: never through a symlink put in the new dir's place.
          if (owner !== undefined) lchownSync(`/proc/self/fd/${parentFd}/${parts[i]!}`, owner.uid, owner.gid)
          continue
        }
        const err = fail('mkdirat', `/${parts.slice(0, i + 1).join('/')}`)
        if (err.code !== 'EEXIST') throw err
        // A dangling symlink is in the way: follow it inside the root, as Docker's FollowSymlinkInScope does.
        const target = readlink(`/proc/self/fd/${parentFd}/${parts[i]!}`, `/${parts.slice(0, i + 1).join('/')}`)
        if (++links > MAX_LINKS) throw error('ELOOP', `too many symbolic links in ${path}`)
        const rest = parts.slice(i + 1).join('/')
        parts = split(target.startsWith('/') ? `${target}/${rest}` : `${parent}/${target}/${rest}`)
        i = -1
      } finally {
        closeSync(parentFd)
      }
    }
  })
}

/**
 * An O_PATH fd of the dir `path` as resolved in `root`, or undefined when
 * nothing is there; ENOTDIR when something else is. The caller closes it;
 * `/proc/<pid>/fd/<fd>` names the dir for a child process.
 */
export function openDirInRoot (root: string, path: string): number | undefined {
  return withRoot(root, rootFd => tryOpenDir(rootFd, below(path)))
}

/**
 * An O_PATH fd of whatever is at `path` as resolved in `root` (symlinks
 * followed inside it); throws ENOENT when nothing is. `/proc/self/fd/<fd>`
 * then names that very inode, for a call such as mount(2) that only takes a
 * path: nothing a container swaps in afterwards changes where it lands.
 */
export function openInRoot (root: string, path: string): number {
  return withRoot(root, rootFd => openat2(rootFd, below(path), O_PATH))
}

/** readlink(2) of an entry already known to exist; one that is not a symlink is in the way of a dir. */
function readlink (path: string, shown: string): string {
  try {
    return readlinkSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EINVAL') throw error('ENOTDIR', `${shown} is not a directory`)
    throw err
  }
}

/** An O_PATH fd of the dir `path` in the root, or undefined when it does not exist. */
function tryOpenDir (rootFd: number, path: string): number | undefined {
  try {
    return openat2(rootFd, path, O_PATH | O_DIRECTORY)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') throw error('ENOTDIR', `/${path} is not a directory`)
    throw err
  }
}
