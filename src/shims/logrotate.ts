/**
 * Rotation of the logs of containers with a max-size (Docker's json-file and
 * local drivers). conmon 2.1 cannot keep a rotated file: its --log-size-max
 * renames a new empty file over the log, and what was in it is gone (podman
 * passes max-size there and gives up max-file). Docker's daemon rotates as it
 * writes; here conmon writes, so berthd rotates beside it: it watches each
 * such log, and once the file has reached max-size it gives it a second name
 * (`.1`, see logs/rotation.ts) and only then asks conmon to reopen its log.
 *
 * What this gives up: a file is rotated a moment after it reaches max-size,
 * not at the line that would pass it, so files run a little over (by what
 * conmon writes in that moment); while berthd is down nothing rotates and the
 * current file grows until berthd is back. What it keeps: no line is lost or
 * written twice (conmon writes to one file at a time, and the old one keeps
 * its name), a follower goes on across rotations, and conmon (the container's
 * output, its exit, its exit file) never waits on berthd.
 */
import { watch, type FSWatcher } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import type { Logger } from 'pino'
import { sleep } from '../async.js'
import type { LogPolicy } from '../logs/config.js'
import { shiftAndLink } from '../logs/rotation.js'
import type { Layout } from '../store/layout.js'
import { reopenLog } from './attach.js'

/** How long conmon gets to reopen its log before berthd stops asking for that file. */
const REOPEN_WAIT_MS = 2000

interface Watched {
  maxSize: number
  maxFile: number
  watcher: FSWatcher | undefined
  /** A check is running; `again`: something was written meanwhile. */
  busy: boolean
  again: boolean
  /** A file conmon was told to leave and did not: never asked again (a second reopen would drop the file between). */
  stuck: number
}

/** Rotates the logs of the running containers that have a max-size. */
export class LogRotator {
  private readonly watched = new Map<string, Watched>()
  constructor (private readonly layout: Layout, private readonly log: Logger) {}

  /** Starts watching container `id`'s log, if its policy rotates (again after a restart of berthd: it checks at once). */
  watch (id: string, policy: LogPolicy): void {
    if (policy.maxSize === undefined || this.watched.has(id)) return
    const w: Watched = { maxSize: policy.maxSize, maxFile: policy.maxFile, watcher: undefined, busy: false, again: false, stuck: -1 }
    const path = this.layout.logPath(id)
    const name = basename(path)
    try {
      // The dir, not the file: the file is replaced at each rotation.
      w.watcher = watch(dirname(path), (_event, file) => { if (file === null || file.toString() === name) this.poke(id) })
      w.watcher.on('error', () => {})
    } catch (err) {
      this.log.warn({ err, container: id }, 'log watch failed; the log is not rotated')
    }
    this.watched.set(id, w)
    this.poke(id)
  }

  /** Stops watching container `id`'s log (its run has ended). */
  unwatch (id: string): void {
    this.watched.get(id)?.watcher?.close()
    this.watched.delete(id)
  }

  /** Stops watching every log. */
  close (): void { for (const id of [...this.watched.keys()]) this.unwatch(id) }

  /** Checks the log now, or once the check running ends. */
  private poke (id: string): void {
    const w = this.watched.get(id)
    if (w === undefined) return
    if (w.busy) { w.again = true; return }
    w.busy = true
    this.check(id, w)
      .catch((err: unknown) => this.log.warn({ err, container: id }, 'log rotation failed'))
      .finally(() => {
        w.busy = false
        if (w.again) { w.again = false; this.poke(id) }
      })
  }

  /** Rotates the log if it has reached max-size. */
  private async check (id: string, w: Watched): Promise<void> {
    const path = this.layout.logPath(id)
    const cur = await stat(path).catch(() => undefined)
    if (cur === undefined || cur.size < w.maxSize || cur.ino === w.stuck) return
    // Already `.1` when an earlier rotation linked it and did not see conmon reopen (berthd died between).
    if (w.maxFile > 1 && (await stat(`${path}.1`).catch(() => undefined))?.ino !== cur.ino) await shiftAndLink(path, w.maxFile)
    try {
      await reopenLog(this.layout.runBundle(id))
    } catch {
      return // no monitor reads its FIFO: the run has ended, and nothing more is written
    }
    for (const end = performance.now() + REOPEN_WAIT_MS; performance.now() < end; await sleep(5)) {
      if ((await stat(path).catch(() => undefined))?.ino !== cur.ino) return
    }
    w.stuck = cur.ino
    this.log.warn({ container: id }, 'the monitor has not reopened its log; that file is not rotated again')
  }
}
