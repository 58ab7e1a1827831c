/**
 * The containers of one berthd in memory: one entry per container, its
 * name, Docker's ref lookup, and the two things every operation shares: the
 * per-container queue (one operation at a time) and the waiters for its
 * exit or removal.
 */
import { invalid, nameInUse, noSuchContainer } from '../errors.js'
import type { AttachConnection } from '../shims/attach.js'
import type { ContainerRecord } from '../store/records.js'
import { isSafeRef } from './names.js'
import { isUp } from './state.js'

export type WaitCondition = 'not-running' | 'next-exit' | 'removed'

type Listener = (code: number) => void

/** A waiter: `promise` settles with an exit code; `cancel` stops waiting. */
export interface Waiter { promise: Promise<number>, cancel: () => void }

/** In-memory state of one container. */
export interface Entry {
  rec: ContainerRecord
  /** Tail of this container's operation queue. */
  queue: Promise<unknown>
  onExit: Set<Listener>
  onRemove: Set<Listener>
  /** Attach clients that came while the container was stopped: they get the next run's monitor. */
  pendingAttach: Set<(conn: AttachConnection | undefined) => void>
  /** The last back-off before a policy restart (ms; 0 once started through the API), and the pending restart's timer. */
  backoffMs: number
  restartTimer?: NodeJS.Timeout
  /** A run's end shown but not yet in the record (the disk was full): what to do once it is. */
  uncommitted?: { restart: boolean }
  /** The last run's clean-up, going on outside the queue (Supervisor.afterCommit): every operation but removal waits for it. */
  cleanup?: Promise<void>
}

export const newEntry = (rec: ContainerRecord): Entry => ({ rec, queue: Promise.resolve(), onExit: new Set(), onRemove: new Set(), pendingAttach: new Set(), backoffMs: 0 })

/** Every container's entry, by id and by name. */
export class ContainerTable {
  private readonly entries = new Map<string, Entry>()
  /** list()'s answer, until add or drop. */
  private sorted: ContainerRecord[] | undefined
  private readonly names = new Map<string, string>()
  /** Names held by a create or rename in progress. */
  private readonly reserved = new Set<string>()
  /** Clean-ups going on in the background: runs' ends, and what removals leave (runtime state, rootfs, dir). */
  private readonly cleanups = new Set<Promise<void>>()

  /** Docker's order: exact id, exact name (with or without "/"), unique id prefix. */
  get (ref: string): Entry {
    if (!isSafeRef(ref)) throw noSuchContainer(ref)
    const byId = this.entries.get(ref)
    if (byId !== undefined) return byId
    const byName = this.names.get(ref.replace(/^\//, ''))
    if (byName !== undefined) return this.entries.get(byName)!
    if (/^[0-9a-f]+$/.test(ref)) {
      const hits = [...this.entries.keys()].filter(id => id.startsWith(ref))
      if (hits.length === 1) return this.entries.get(hits[0]!)!
      if (hits.length > 1) throw invalid(`multiple IDs found with provided prefix: ${ref}`)
    }
    throw noSuchContainer(ref)
  }

  /** The entry of the container with exactly this id, if it is still here. */
  byId (id: string): Entry | undefined { return this.entries.get(id) }
  has (id: string): boolean { return this.entries.has(id) }
  all (): IterableIterator<Entry> { return this.entries.values() }

  /**
   * Every container's record, newest first. `created` is toISOString's
   * fixed-width text, so code-unit order is time order: localeCompare (ICU
   * collation) made this sort a tenth of a 500-container list's time.
   */
  list (): ContainerRecord[] {
    // Kept sorted until a container comes or goes (an entry's record and its `created` never change):
    // rebuilding and sorting it was a sixth of a 200-container list request. A copy, so callers may change theirs.
    this.sorted ??= [...this.entries.values()].map(e => e.rec).sort((a, b) => a.created < b.created ? 1 : a.created > b.created ? -1 : 0)
    return this.sorted.slice()
  }

  /** A container made from image `imageId`, if any: a running one first, as moby's image delete looks for one. */
  imageUser (imageId: string): { id: string, running: boolean } | undefined {
    const users = [...this.entries.values()].filter(e => e.rec.image === imageId).map(e => ({ id: e.rec.id, running: isUp(e.rec.status) }))
    return users.find(u => u.running) ?? users[0]
  }

  nameTaken (name: string): boolean { return this.names.has(name) || this.reserved.has(name) }

  /** Holds `name` for a create or rename in progress; Docker's 409 when it is taken. */
  reserve (name: string): void {
    if (this.nameTaken(name)) throw nameInUse(name, this.names.get(name))
    this.reserved.add(name)
  }

  release (name: string): void { this.reserved.delete(name) }

  add (e: Entry): void {
    this.entries.set(e.rec.id, e)
    this.names.set(e.rec.name, e.rec.id)
    this.sorted = undefined
  }

  /** Moves the entry to the name it now has (its record is already saved). */
  renamed (e: Entry, old: string): void {
    this.names.delete(old)
    this.names.set(e.rec.name, e.rec.id)
  }

  /** Forgets a removed container, and tells its attach clients and removal waiters. */
  drop (e: Entry): void {
    this.entries.delete(e.rec.id)
    this.names.delete(e.rec.name)
    this.sorted = undefined
    for (const fn of e.pendingAttach) fn(undefined)
    e.pendingAttach.clear()
    for (const fn of e.onRemove) fn(e.rec.exitCode)
    e.onRemove.clear()
  }

  /**
   * Runs `fn` after every earlier operation on the same container, and after
   * the last run's clean-up unless `overlap` (a removal, which leaves it to
   * its own clean-up in the background).
   */
  serial<T> (e: Entry, fn: () => Promise<T>, overlap = false): Promise<T> {
    const go = async (): Promise<T> => { if (!overlap) await e.cleanup; return await fn() }
    const run = e.queue.then(go, go)
    e.queue = run.catch(() => {})
    return run
  }

  /** Keeps `work` (which must not reject) among the background clean-ups until it ends; returns it. */
  background (work: Promise<void>): Promise<void> {
    this.cleanups.add(work)
    void work.finally(() => this.cleanups.delete(work))
    return work
  }

  /**
   * Waits for the background clean-ups under way: what a removed container
   * held (its image's layers, its networking) is free after it. Network and
   * image removal and berthd's shutdown wait for it; they are rare next to
   * the removals that no longer wait for their own clean-up.
   */
  async settled (): Promise<void> { await Promise.all([...this.cleanups]) }

  /** Tells the waiters for the end of this run, once it is shown (its record may still be being written: supervisor.ts). */
  notifyExit (e: Entry, code: number): void {
    for (const fn of e.onExit) fn(code)
    e.onExit.clear()
  }

  /** A promise for the end of the current run: settles on the next exit or on removal. */
  nextExit (e: Entry): Waiter {
    const a = listen(e.onExit)
    const b = listen(e.onRemove)
    return { promise: Promise.race([a.promise, b.promise]), cancel: () => { a.cancel(); b.cancel() } }
  }

  /** A promise for the container's removal. */
  removed (e: Entry): Waiter { return listen(e.onRemove) }
}

function listen (set: Set<Listener>): Waiter {
  let fn: Listener = () => {}
  const promise = new Promise<number>(resolve => { fn = resolve; set.add(fn) })
  return { promise, cancel: () => set.delete(fn) }
}
