/**
 * Child processes through posix_spawn(3) rather than Node's child_process.
 *
 * libuv starts a child with fork(2), which copies the page tables of the
 * whole daemon: at berthd's ~100 MB RSS that took 8-9 ms of the event loop's
 * time per child here, and a container's lifecycle needs three (conmon,
 * `runtime start`, `runtime delete`). glibc's posix_spawn uses
 * clone(CLONE_VM | CLONE_VFORK), which copies nothing: 0.6 ms at the same
 * RSS. The child gets default signal dispositions and an empty signal mask,
 * as libuv gives its children.
 *
 * Exits are collected on SIGCHLD with waitpid(pid, WNOHANG) for the pids
 * spawned here only; libuv reaps its own children by pid too, so the two
 * never take each other's. 'pipe' fds are socketpair(2) ends, as libuv
 * makes them, so they carry data both ways; berthd's ends are handed to
 * libuv as stream handles (adoptFd).
 */
import type { Socket } from 'node:net'
import { constants } from 'node:os'
import { adoptFd, errnoName, fail, libc } from './libc.js'

/** What a child's fd is: /dev/null, a connection to berthd (a socketpair, both ways), or one of berthd's fds. */
export type ChildFd = 'ignore' | 'pipe' | number

export interface SpawnOptions {
  /** The child's whole environment. */
  env: Record<string, string>
  /** Fds 0, 1, 2, 3, …, in order. */
  stdio: ChildFd[]
  /** A new session (setsid), as a monitor that must outlive berthd's process group needs. */
  setsid?: boolean
}

export interface Exit {
  /** The exit status, or null when a signal ended it. */
  code: number | null
  signal: NodeJS.Signals | null
}

export interface Child {
  pid: number
  /** Settles when the child has exited and been reaped. */
  exited: Promise<Exit>
  /** The parent ends of the 'pipe' fds, by child fd. */
  pipes: Map<number, Socket>
}

const AF_UNIX = 1
const SOCK_STREAM = 1
const SOCK_CLOEXEC = 0o2000000
const O_RDONLY = 0
const O_WRONLY = 1
const WNOHANG = 1
const F_DUPFD_CLOEXEC = 1030
const POSIX_SPAWN_SETSIGDEF = 0x04
const POSIX_SPAWN_SETSIGMASK = 0x08
const POSIX_SPAWN_SETSID = 0x80
// glibc x86_64/aarch64 sizes are 80 (file actions), 336 (attr) and 128 (sigset); generous buffers cover any.
const FILE_ACTIONS_SIZE = 256
const ATTR_SIZE = 512
const SIGSET_SIZE = 256

const waiting = new Map<number, (e: Exit) => void>()
let reaperOn = false

const signalName = (n: number): NodeJS.Signals | null =>
  (Object.entries(constants.signals).find(([, v]) => v === n)?.[0] as NodeJS.Signals | undefined) ?? null

function reap (): void {
  const c = libc()
  for (const [pid, settle] of waiting) {
    const status = [0]
    if (c.waitpid(pid, status, WNOHANG) !== pid) continue
    waiting.delete(pid)
    const s = status[0]!
    // WIFEXITED: the low 7 bits are 0; else they are the signal that ended it.
    settle((s & 0x7f) === 0 ? { code: (s >> 8) & 0xff, signal: null } : { code: null, signal: signalName(s & 0x7f) })
  }
  if (waiting.size === 0 && reaperOn) { process.off('SIGCHLD', reap); reaperOn = false }
}

function socketPair (): [number, number] {
  const fds = Buffer.alloc(8)
  if (libc().socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) !== 0) throw fail('socketpair', '')
  return [fds.readInt32LE(0), fds.readInt32LE(4)]
}

/**
 * Starts `file` with `args` (argv[1…]). Throws when it cannot be started
 * (no such file, not executable), as spawn would report it.
 */
export function spawnChild (file: string, args: readonly string[], opts: SpawnOptions): Child {
  const c = libc()
  const fa = Buffer.alloc(FILE_ACTIONS_SIZE)
  const attr = Buffer.alloc(ATTR_SIZE)
  const mask = Buffer.alloc(SIGSET_SIZE)
  const toClose: number[] = []
  const pipes = new Map<number, Socket>()
  c.posix_spawn_file_actions_init(fa)
  c.posix_spawnattr_init(attr)
  try {
    // Every source fd is first copied above the child's fds, so that no dup2 overwrites a later one's source.
    const above = (fd: number): number => {
      const copy = c.fcntl(fd, F_DUPFD_CLOEXEC, opts.stdio.length)
      if (copy < 0) throw fail('fcntl', `F_DUPFD_CLOEXEC ${fd}`)
      toClose.push(copy)
      return copy
    }
    opts.stdio.forEach((how, childFd) => {
      if (how === 'ignore') {
        c.posix_spawn_file_actions_addopen(fa, childFd, '/dev/null', childFd === 0 ? O_RDONLY : O_WRONLY, 0)
        return
      }
      let source = how
      if (how === 'pipe') {
        const [ours, theirs] = socketPair()
        toClose.push(theirs)
        pipes.set(childFd, adoptFd(ours, true, true))
        source = theirs
      }
      // dup2 clears FD_CLOEXEC on the copy.
      c.posix_spawn_file_actions_adddup2(fa, above(source as number), childFd)
    })
    c.sigfillset(mask)
    c.posix_spawnattr_setsigdefault(attr, mask)
    c.sigemptyset(mask)
    c.posix_spawnattr_setsigmask(attr, mask)
    c.posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (opts.setsid === true ? POSIX_SPAWN_SETSID : 0))
    const env = Object.entries(opts.env).map(([k, v]) => `${k}=${v}`)
    const pid = [0]
    const rc = c.posix_spawn(pid, file, fa, attr, [file, ...args, null], [...env, null])
    if (rc !== 0) {
      const code = errnoName(rc)
      throw Object.assign(new Error(`spawn ${file} ${code}`), { code, errno: rc })
    }
    const exited = new Promise<Exit>(resolve => waiting.set(pid[0]!, resolve))
    if (!reaperOn) { process.on('SIGCHLD', reap); reaperOn = true }
    // It may have exited before the handler was on.
    reap()
    return { pid: pid[0]!, exited, pipes }
  } catch (err) {
    for (const p of pipes.values()) p.destroy()
    throw err
  } finally {
    for (const fd of toClose) c.close(fd)
    c.posix_spawn_file_actions_destroy(fa)
    c.posix_spawnattr_destroy(attr)
  }
}

export interface RunResult extends Exit {
  stdout: string
  stderr: string
  timedOut: boolean
}

const readAll = async (s: Socket | undefined): Promise<string> => {
  if (s === undefined) return ''
  const chunks: Buffer[] = []
  for await (const c of s) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** Runs `file` to its end with stdin from /dev/null, collecting stdout and stderr; SIGKILLs it after `timeoutMs`. */
export async function runChild (file: string, args: readonly string[], env: Record<string, string>, timeoutMs: number): Promise<RunResult> {
  const child = spawnChild(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    try { process.kill(child.pid, 'SIGKILL') } catch {}
    // A grandchild could hold the pipes open: stop reading them.
    for (const p of child.pipes.values()) p.destroy()
  }, timeoutMs)
  try {
    const [exit, stdout, stderr] = await Promise.all([child.exited, readAll(child.pipes.get(1)), readAll(child.pipes.get(2))])
    return { ...exit, stdout: stdout.replace(/\n$/, ''), stderr: stderr.replace(/\n$/, ''), timedOut }
  } finally {
    clearTimeout(timer)
  }
}
