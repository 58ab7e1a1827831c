/**
 * What the peer of a local stream socket has not read yet. For AF_UNIX,
 * SIOCOUTQ counts the buffers written and not yet consumed by the reader
 * (unix_outq_len in net/unix/af_unix.c), so 0 means the peer has read all
 * that was sent; that is what lets the API hold a stream's output back until
 * the client has read the response head.
 */
import { fail, libc } from './libc.js'

/** SIOCOUTQ (= TIOCOUTQ) from linux/sockios.h. */
const SIOCOUTQ = 0x5411

/** The bytes (as the kernel accounts them) written on socket `fd` that its peer has not read; throws for an fd that is no socket. */
export function unreadBytes (fd: number): number {
  const out = Buffer.alloc(4)
  if (libc().ioctl(fd, SIOCOUTQ, 'void *', out) < 0) throw fail('ioctl', `SIOCOUTQ on fd ${fd}`)
  return out.readInt32LE(0)
}
