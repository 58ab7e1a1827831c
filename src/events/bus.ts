/**
 * Docker's events: an in-process bus that stamps each event, keeps the last
 * `max` of them in a JSON-lines journal (`<root>/events/events.jsonl`) that
 * outlives berthd, and tells live subscribers. The journal is appended to one
 * line at a time and rewritten with its newest `max` lines once it holds
 * twice that many; a torn last line (berthd killed mid-append) is dropped
 * when the journal is loaded.
 */
import { appendFile, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ensureDir, writeFileAtomic } from '../store/atomic.js'

export type EventType = 'container' | 'image' | 'volume' | 'network'

/** What an emitter says: Docker's `Type`, `Action` and `Actor`. */
export interface EventInput {
  Type: EventType
  Action: string
  Actor: { ID: string, Attributes: Record<string, string> }
}

/** A stamped event (Docker's EventMessage); `timeNano` exceeds 2^53, so it is a bigint. */
export interface EventMessage extends EventInput {
  scope: 'local'
  time: number
  timeNano: bigint
}

/** Filter key → alternatives (the shape parseFilters gives). */
export type EventFilters = ReadonlyMap<string, readonly string[]>

/** The filter keys GET /events accepts. */
export const EVENT_FILTERS: ReadonlySet<string> = new Set(['container', 'image', 'volume', 'network', 'event', 'type', 'label'])

export const JOURNAL_MAX = 10_000

/**
 * The event as Docker writes it, one line of JSON. `timeNano` is spliced in
 * as digits (JSON.stringify would round it to a double). The deprecated
 * `status`, `id` and `from` are there for clients of API < 1.52.
 */
export function eventJson (ev: EventMessage): string {
  const legacy = ev.Type === 'container'
    ? { status: ev.Action, id: ev.Actor.ID, from: ev.Actor.Attributes.image ?? '' }
    : ev.Type === 'image' ? { status: ev.Action, id: ev.Actor.ID } : {}
  const { timeNano: _t, ...rest } = ev
  return `${JSON.stringify({ ...legacy, ...rest }).slice(0, -1)},"timeNano":${ev.timeNano.toString()}}`
}

/** One journal line back into an event; undefined for a line that is torn or not an event. */
export function parseEventLine (line: string): EventMessage | undefined {
  const nano = /,"timeNano":(\d+)\}$/.exec(line)
  if (nano === null) return undefined
  try {
    const v = JSON.parse(line) as Partial<EventMessage> & Record<string, unknown>
    if (typeof v.Type !== 'string' || typeof v.Action !== 'string' || typeof v.Actor?.ID !== 'string') return undefined
    return { Type: v.Type, Action: v.Action, Actor: { ID: v.Actor.ID, Attributes: v.Actor.Attributes ?? {} }, scope: 'local', time: Number(v.time), timeNano: BigInt(nano[1]!) }
  } catch {
    return undefined
  }
}

/** The events of a journal's text, oldest first; lines that do not parse are skipped. */
export function parseJournal (text: string): EventMessage[] {
  return text.split('\n').map(parseEventLine).filter((e): e is EventMessage => e !== undefined)
}

/** Docker's event filters (moby daemon/events/filter.go); values of one key are alternatives, keys must all match. */
export function eventMatches (ev: EventMessage, f: EventFilters): boolean {
  const any = (key: string, test: (v: string) => boolean): boolean => {
    const vs = f.get(key)
    return vs === undefined || vs.length === 0 || vs.some(test)
  }
  const attrs = ev.Actor.Attributes
  const noTag = (s: string | undefined): string | undefined => s?.replace(/:[^/:]*$/, '')
  const images = [ev.Actor.ID, attrs.image, noTag(attrs.image), ...(ev.Type === 'image' ? [attrs.name, noTag(attrs.name)] : [])]
  return any('type', v => v === ev.Type) &&
    // "exec_start: sh -c ..." is matched by "exec_start".
    any('event', v => v === ev.Action || v === ev.Action.split(':', 1)[0]) &&
    any('container', v => ev.Type === 'container' && (ev.Actor.ID.startsWith(v) || v === attrs.name || v === `/${attrs.name ?? ''}`)) &&
    any('image', v => images.includes(v)) &&
    any('volume', v => ev.Type === 'volume' && v === ev.Actor.ID) &&
    // moby's fuzzyMatchName: a network's id or name, or a prefix of either.
    any('network', v => ev.Type === 'network' && (ev.Actor.ID.startsWith(v) || (attrs.name ?? '').startsWith(v))) &&
    any('label', v => {
      const i = v.indexOf('=')
      return i < 0 ? Object.hasOwn(attrs, v) : attrs[v.slice(0, i)] === v.slice(i + 1)
    })
}

type Subscriber = (ev: EventMessage) => void

/** The events of one berthd. Without a dir it keeps them in memory only. */
export class EventBus {
  private readonly recent: EventMessage[] = []
  private readonly subscribers = new Set<Subscriber>()
  private lines = 0
  private writes: Promise<unknown> = Promise.resolve()
  /** Wall-clock ns minus the monotonic clock, fixed at start: stamps never go backwards. */
  private readonly offset = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint()
  private last = 0n
  private readonly file: string | undefined

  constructor (private readonly dir?: string, private readonly max = JOURNAL_MAX, private readonly onError: (err: unknown) => void = () => {}) {
    this.file = dir === undefined ? undefined : join(dir, 'events.jsonl')
  }

  /** Loads the journal; one with a torn or bad line is rewritten without it, so appends start on a fresh line. */
  async init (): Promise<void> {
    if (this.dir === undefined || this.file === undefined) return
    await ensureDir(this.dir)
    const text = await readFile(this.file, 'utf8').catch(() => '')
    const events = parseJournal(text)
    const kept = events.slice(-this.max)
    this.recent.push(...kept)
    this.lines = events.length
    if (kept.length !== text.split('\n').filter(l => l !== '').length || (text !== '' && !text.endsWith('\n'))) await this.rewrite()
    if (kept.length > 0) this.last = kept.at(-1)!.timeNano
  }

  /** Now, in ns since the epoch (what the next stamp would be at least). */
  now (): bigint { return process.hrtime.bigint() + this.offset }

  /** Stamps, journals and publishes an event. */
  emit (input: EventInput): EventMessage {
    let timeNano = this.now()
    if (timeNano <= this.last) timeNano = this.last + 1n
    this.last = timeNano
    const ev: EventMessage = { ...input, scope: 'local', time: Number(timeNano / 1_000_000_000n), timeNano }
    this.recent.push(ev)
    if (this.recent.length > this.max) this.recent.splice(0, this.recent.length - this.max)
    if (this.file !== undefined) this.journal(ev, this.file)
    for (const fn of this.subscribers) fn(ev)
    return ev
  }

  /** The kept events stamped in [since, until], oldest first. */
  replay (since: bigint, until: bigint, filters: EventFilters = new Map()): EventMessage[] {
    return this.recent.filter(ev => ev.timeNano >= since && ev.timeNano <= until && eventMatches(ev, filters))
  }

  /** How many subscribers are listening now (Docker's NEventsListener). */
  get listeners (): number { return this.subscribers.size }

  /** Calls `fn` for every event from now on; returns the unsubscribe. */
  subscribe (fn: Subscriber): () => void {
    this.subscribers.add(fn)
    return () => this.subscribers.delete(fn)
  }

  /** Resolves once every event emitted so far is in the journal. */
  async flush (): Promise<void> { await this.writes }

  private journal (ev: EventMessage, file: string): void {
    this.writes = this.writes.then(async () => {
      await appendFile(file, `${eventJson(ev)}\n`)
      // Events emitted since are queued behind this one: the rewrite stops at it.
      if (++this.lines >= 2 * this.max) await this.rewrite(ev.timeNano)
    }).catch(this.onError)
  }

  /** Replaces the journal with the kept events (atomically: a crash leaves the old or the new one). */
  private async rewrite (upTo?: bigint): Promise<void> {
    const kept = upTo === undefined ? this.recent : this.recent.filter(e => e.timeNano <= upTo)
    await writeFileAtomic(this.file!, kept.map(e => `${eventJson(e)}\n`).join(''))
    this.lines = kept.length
  }
}
