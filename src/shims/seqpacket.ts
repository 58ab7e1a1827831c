/**
 * Client side of a Unix SOCK_SEQPACKET socket, which conmon's attach socket
 * is and Node's `net` cannot open. Two libc calls (socket, connect) go
 * through src/sys/libc.ts, so there is no helper process per attach. The
 * connected fd is then handed to libuv as a pipe handle: libuv reads with a
 * 64 KiB buffer, so each read, and so each 'data' event, is exactly one of
 * conmon's packets (at most 8193 bytes), and a write is one packet.
 */
import { closeSync, openSync, constants as fsc } from 'node:fs'
import type { Socket } from 'node:net'
import { adoptFd, canAdoptFds, fail, libc } from '../sys/libc.js'

const AF_UNIX = 1
const SOCK_SEQPACKET = 5
const SOCK_CLOEXEC = 0o2000000
const SUN_PATH_MAX = 108

/** Checks at start-up that both halves work here, so that attach fails at once rather than per request. */
export function seqpacketSupport (): string | undefined {
  try {
    const c = libc()
    const fd = c.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)
    if (fd < 0) return fail('socket', '(AF_UNIX, SOCK_SEQPACKET)').message
    c.close(fd)
    if (!canAdoptFds()) return 'this Node has no pipe_wrap binding'
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}

/**
 * Connects to the SEQPACKET socket `name` inside `dir`. The path goes through
 * /proc/self/fd, so a long state dir never hits the 108-byte sun_path limit.
 */
export function connectSeqpacket (dir: string, name: string): Socket {
  const c = libc()
  const dirFd = openSync(dir, fsc.O_RDONLY | fsc.O_DIRECTORY)
  let fd = -1
  try {
    const path = `/proc/self/fd/${dirFd}/${name}`
    const addr = Buffer.alloc(2 + SUN_PATH_MAX)
    addr.writeUInt16LE(AF_UNIX, 0)
    if (addr.write(path, 2) >= SUN_PATH_MAX) throw new Error(`socket path too long: ${path}`)
    fd = c.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)
    if (fd < 0) throw fail('socket', dir)
    if (c.connect(fd, addr, addr.length) !== 0) throw fail('connect', `${dir}/${name}`)
    const sock = adoptFd(fd, true, true)
    fd = -1 // the socket owns it now
    return sock
  } finally {
    if (fd >= 0) c.close(fd)
    closeSync(dirFd)
  }
}
