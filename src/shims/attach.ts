/**
 * conmon's attach socket and ctl FIFO, seen from berthd.
 *
 * Attach socket (`<socket-dir>/<uuid>/attach`, SOCK_SEQPACKET): every packet
 * conmon sends is one byte of pipe id (2 stdout, 3 stderr) and the bytes the
 * container wrote, but not reliably all of them (see src/api/streams.ts);
 * every packet we send is container stdin, and conmon reads
 * at most 32 KiB of each (the rest of a bigger packet would be dropped). When
 * a connection's read side ends, conmon closes the container's stdin unless it
 * runs with --leave-stdin-open. conmon writes output to each connection with a
 * blocking write, so a connection must be read without pause for as long as
 * it is open: a slow reader here would stall the container.
 *
 * ctl FIFO (`<bundle>/ctl`): lines of `type height width`; type 1 resizes the
 * terminal, type 2 makes conmon reopen its log (conmon ctrl.c
 * REOPEN_LOGS_EVENT: it flushes and closes the file, then renames a new empty
 * one over its path).
 */
import { open } from 'node:fs/promises'
import { constants as fsc } from 'node:fs'
import { join } from 'node:path'
import type { Socket } from 'node:net'
import { connectSeqpacket } from './seqpacket.js'

/** Largest stdin packet conmon reads whole (its CONN_SOCK_BUF_SIZE). */
export const STDIN_PACKET = 32 * 1024

/**
 * One connection to a monitor's attach socket, for stdin. Output comes from
 * the log instead (see src/api/streams.ts); the copies conmon sends here are
 * read and dropped, so that its blocking writes never wait on berthd.
 */
export class AttachConnection {
  /** Settles when the monitor closes the connection (its process ended) or it fails. */
  readonly closed: Promise<void>
  private writes: Promise<void> = Promise.resolve()

  constructor (private readonly sock: Socket) {
    sock.on('data', () => {})
    this.closed = new Promise(resolve => {
      sock.on('end', () => resolve())
      sock.on('close', () => resolve())
      sock.on('error', () => resolve())
    })
  }

  /**
   * Queues stdin bytes; the promise settles when the monitor has taken them,
   * which is the caller's backpressure. One packet at a time, never coalesced.
   */
  write (buf: Buffer): Promise<void> {
    this.writes = this.writes.then(async () => {
      for (let off = 0; off < buf.length; off += STDIN_PACKET) {
        const slice = buf.subarray(off, off + STDIN_PACKET)
        await new Promise<void>((resolve, reject) => this.sock.write(slice, err => { if (err != null) reject(err); else resolve() }))
      }
    })
    return this.writes
  }

  /** Half-closes after the queued stdin: the monitor closes the container's stdin (unless told to leave it open). */
  closeStdin (): void {
    void this.writes.then(() => this.sock.end(), () => this.sock.end())
  }

  /** Drops the connection at once. */
  destroy (): void { this.sock.destroy() }
}

/** Connects to the attach socket of monitor `uuid` (a container id or an exec id). */
export function attach (socketDir: string, uuid: string): AttachConnection {
  const sock = connectSeqpacket(join(socketDir, uuid), 'attach')
  return new AttachConnection(sock)
}


/**
 * Resizes the terminal of the monitor whose bundle dir is `bundleDir`.
 * Rejects with ENXIO when no monitor reads the FIFO any more.
 */
export async function resizeTerminal (bundleDir: string, height: number, width: number): Promise<void> {
  await control(bundleDir, `1 ${height} ${width}\n`)
}

/** Tells the monitor to start a new log file (see logs/rotation.ts); rejects with ENXIO when no monitor reads the FIFO. */
export async function reopenLog (bundleDir: string): Promise<void> {
  await control(bundleDir, '2 0 0\n')
}

/** Writes one message to the monitor's ctl FIFO (a few bytes: one atomic write). */
async function control (bundleDir: string, line: string): Promise<void> {
  const fh = await open(join(bundleDir, 'ctl'), fsc.O_WRONLY | fsc.O_NONBLOCK)
  try {
    await fh.write(line)
  } finally {
    await fh.close()
  }
}
