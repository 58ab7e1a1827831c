/**
 * FIFOs for the create handshake. Node has no mkfifo(3), and an exec of
 * coreutils' mkfifo costs several milliseconds, so FIFOs are made ahead in
 * batches (one exec each) and a create takes one with a rename.
 */
import { mkdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { execa } from 'execa'

/** A directory of ready-made FIFOs, refilled in the background. */
export class FifoPool {
  private readonly ready: string[] = []
  private refilling: Promise<void> | undefined

  constructor (private readonly dir: string, private readonly batch = 16) {}

  /** Starts empty: FIFOs left by an earlier berthd are discarded. */
  async init (): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
  }

  /** Moves a fresh FIFO (mode 0600) to `dest`. */
  async take (dest: string): Promise<void> {
    while (this.ready.length === 0) await this.refill()
    await rename(this.ready.pop()!, dest)
    if (this.ready.length < this.batch / 4) this.refill().catch(() => {}) // a failure shows at the next take
  }

  private refill (): Promise<void> {
    this.refilling ??= (async () => {
      const paths = Array.from({ length: this.batch }, () => join(this.dir, randomBytes(8).toString('hex')))
      await execa('mkfifo', ['-m', '600', ...paths], { timeout: 10_000 })
      this.ready.push(...paths)
    })().finally(() => { this.refilling = undefined })
    return this.refilling
  }
}
