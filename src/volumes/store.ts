/**
 * berth's volumes, Docker's `local` driver: `<root>/volumes/<name>/` holds
 * `volume.json` (the record, written atomically, one writer) and `_data/`,
 * the dir containers bind (Docker's own layout). Which containers use a
 * volume is never stored here: the store asks the container side
 * (`usersOf`), which reads it from the container records, so no count can
 * drift, whatever berthd was killed in the middle of. A volume with
 * DriverOpts (`type`, `device`, `o`) has that mounted on `_data` at its
 * first use and unmounted once no container uses it (moby
 * volume/local/local_unix.go).
 */
import { randomBytes } from 'node:crypto'
import { chown, mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { type BerthError, conflict, invalid, noSuchVolume, runtimeFailed } from '../errors.js'
import type { EventBus } from '../events/bus.js'
import { HIDDEN_PREFIX, ensureDir, hideTree, readIfExists, writeFileAtomic } from '../store/atomic.js'
import { isMounted, unmountIfMounted } from '../sys/mounts.js'
import { runChild } from '../sys/spawn.js'
import { labelMatches, type VolumeFilters } from './filters.js'
import { treeSize } from '../store/du.js'

export const VOLUME_RECORD_VERSION = 1

/** The label Docker (API 1.42+) puts on anonymous volumes; prune removes only those unless `all`. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous'

/** A local volume's name (moby volume/local: the same pattern that tells a name from a host path). */
/** The longest file name the host's file systems take (NAME_MAX). */
const NAME_MAX = 255
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/

/** What berth keeps about one volume. */
export interface VolumeRecord {
  version: number
  name: string
  driver: 'local'
  labels: Record<string, string>
  /** The DriverOpts it was created with (type, device, o); empty for a plain dir. */
  options: Record<string, string>
  createdAt: string
}

/** What a client asks for at create (Docker's VolumeCreateOptions). */
export interface VolumeCreate { Name?: string, Driver?: string, DriverOpts?: Record<string, string> | null, Labels?: Record<string, string> | null }

/** What the store is told by the container side. */
export interface VolumeStoreOptions {
  /** Ids of the containers whose records mount volume `name`. */
  usersOf: (name: string) => string[]
  events?: EventBus
  /** Who owns a new volume's _data: the remapped root under --userns-remap (as in Docker), else root. */
  owner?: { uid: number, gid: number }
}

const DRIVER_OPTS = ['type', 'device', 'o']
const badName = (name: string): BerthError => invalid(`create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`)

/** Docker's checks of the local driver's options (moby volume/local validateOpts). */
function checkOptions (opts: Record<string, string>): void {
  for (const k of Object.keys(opts)) if (!DRIVER_OPTS.includes(k)) throw invalid(`invalid option: "${k}"`)
  if (opts.device !== undefined && opts.type === undefined) throw invalid('missing required option: "type"')
  if (opts.type !== undefined && opts.device === undefined) throw invalid('missing required option: "device"')
  for (const [k, v] of Object.entries(opts)) if (v.includes('\0')) throw invalid(`invalid option: "${k}": contains a NUL byte`)
}

/** Every volume of one berthd. */
export class VolumeStore {
  private readonly vols = new Map<string, VolumeRecord>()
  /** Volumes a container create is attaching now: in use until its record is written or the create is undone. */
  private readonly held = new Map<string, number>()
  /** One create, remove or mount change at a time: they check, then act on disk. */
  private queue: Promise<unknown> = Promise.resolve()

  constructor (private readonly dir: string, private readonly log: Logger, private readonly opts: VolumeStoreOptions) {}

  /** Loads the records; finishes removals a crash interrupted; unmounts DriverOpts mounts nothing uses. */
  async init (): Promise<void> {
    await ensureDir(this.dir)
    for (const n of await readdir(this.dir)) {
      if (n.startsWith(HIDDEN_PREFIX)) {
        await unmountIfMounted(join(this.dir, n, '_data'))
        await rm(join(this.dir, n), { recursive: true, force: true })
        continue
      }
      const text = await readIfExists(join(this.dir, n, 'volume.json')).catch(() => undefined)
      let rec: VolumeRecord | undefined
      try { rec = text === undefined ? undefined : JSON.parse(text) as VolumeRecord } catch {}
      if (rec?.version !== VOLUME_RECORD_VERSION || rec.name !== n) { this.log.error({ volume: n }, 'volume record unreadable; set aside'); continue }
      this.vols.set(n, rec)
    }
  }

  /** Runs `fn` after every earlier store operation. */
  private serial<T> (fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn)
    this.queue = next.catch(() => {})
    return next
  }

  /** The dir containers bind: Docker's `Mountpoint`. */
  mountpoint (name: string): string { return join(this.dir, name, '_data') }

  get (name: string): VolumeRecord {
    const rec = this.vols.get(name)
    if (rec === undefined) throw noSuchVolume(name)
    return rec
  }

  has (name: string): boolean { return this.vols.has(name) }

  list (): VolumeRecord[] { return [...this.vols.values()].sort((a, b) => a.name.localeCompare(b.name)) }

  /** The containers using `name` (their records say so) and any create attaching it now. */
  usedBy (name: string): string[] {
    const users = this.opts.usersOf(name)
    return (this.held.get(name) ?? 0) > 0 && users.length === 0 ? ['(a container being created)'] : users
  }

  /** Docker's create: a new volume, or the existing one of that name as it is (201 either way, as in Docker). */
  async create (req: VolumeCreate): Promise<VolumeRecord> {
    const name = req.Name !== undefined && req.Name !== '' ? req.Name : randomBytes(32).toString('hex')
    if (!VOLUME_NAME.test(name)) throw badName(name)
    // The name is a directory's: past NAME_MAX the mkdir would fail with ENAMETOOLONG, a 500.
    if (Buffer.byteLength(name) > NAME_MAX) throw invalid(`create ${name.slice(0, 64)}…: volume name is too long (${name.length} characters, at most ${NAME_MAX})`)
    const driver = req.Driver ?? ''
    if (driver !== '' && driver !== 'local') throw invalid(`error looking up volume plugin ${driver}: plugin "${driver}" not found`)
    const options = { ...req.DriverOpts }
    checkOptions(options)
    return await this.serial(async () => {
      const had = this.vols.get(name)
      if (had !== undefined) return had
      const rec: VolumeRecord = { version: VOLUME_RECORD_VERSION, name, driver: 'local', labels: { ...req.Labels }, options, createdAt: new Date().toISOString() }
      const dir = join(this.dir, name)
      try {
        await mkdir(join(dir, '_data'), { recursive: true, mode: 0o755 })
        if (this.opts.owner !== undefined) await chown(join(dir, '_data'), this.opts.owner.uid, this.opts.owner.gid)
        await writeFileAtomic(join(dir, 'volume.json'), JSON.stringify(rec))
      } catch (err) {
        await rm(dir, { recursive: true, force: true })
        throw err
      }
      this.vols.set(name, rec)
      this.log.info({ volume: name }, 'volume created')
      this.event(rec, 'create')
      return rec
    })
  }

  /**
   * Docker's remove: 409 while a container uses it; `force` only makes a
   * missing volume no error (moby's router: "no not found error is produced
   * if force is enabled").
   */
  async remove (name: string, force = false): Promise<void> {
    await this.serial(async () => {
      const rec = this.vols.get(name)
      if (rec === undefined) { if (force) return; throw noSuchVolume(name) }
      const users = this.usedBy(name)
      if (users.length > 0) throw conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`)
      const data = this.mountpoint(name)
      await unmountIfMounted(data)
      // Never delete through a mount: that would be the device's files.
      if (await isMounted(data)) throw conflict(`remove ${name}: ${data} is still mounted`)
      this.vols.delete(name)
      const hidden = await hideTree(join(this.dir, name))
      if (hidden !== undefined) await rm(hidden, { recursive: true, force: true })
      this.log.info({ volume: name }, 'volume removed')
      this.event(rec, 'destroy')
    })
  }

  /**
   * Docker's prune: every volume no container uses that passes `filters`;
   * anonymous ones only, unless `all` (API 1.42+; earlier APIs ask for all).
   */
  async prune (filters: VolumeFilters, all: boolean): Promise<{ VolumesDeleted: string[], SpaceReclaimed: number }> {
    const chosen = this.list().filter(v =>
      (all || Object.hasOwn(v.labels, ANONYMOUS_LABEL)) &&
      (filters.get('label') ?? []).every(l => labelMatches(v.labels, l)) &&
      !(filters.get('label!') ?? []).some(l => labelMatches(v.labels, l)) &&
      this.usedBy(v.name).length === 0)
    const deleted: string[] = []
    let space = 0
    for (const v of chosen) {
      const size = Object.keys(v.options).length > 0 ? 0 : await treeSize(this.mountpoint(v.name))
      try { await this.remove(v.name) } catch (err) { this.log.info({ err, volume: v.name }, 'prune skipped a volume'); continue }
      deleted.push(v.name)
      space += size
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: space }
  }

  // ---- use by containers -----------------------------------------------------------

  /**
   * Marks `name` as being attached by a create, before it is looked up or
   * made, so that no remove can come between; the function returned undoes it.
   */
  hold (name: string): () => void {
    this.held.set(name, (this.held.get(name) ?? 0) + 1)
    let done = false
    return () => {
      if (done) return
      done = true
      const c = (this.held.get(name) ?? 1) - 1
      if (c > 0) this.held.set(name, c); else this.held.delete(name)
    }
  }

  /** Makes `name` ready to bind: its DriverOpts mount made if it is not there (first use, or after a reboot). */
  async ready (name: string): Promise<string> {
    const rec = this.get(name)
    const data = this.mountpoint(name)
    const { type, device, o } = rec.options
    if (type === undefined || device === undefined) return data
    await this.serial(async () => {
      if (await isMounted(data)) return
      const r = await runChild('/bin/mount', ['-t', type, ...(o !== undefined && o !== '' ? ['-o', o] : []), '--', device, data], { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, 30_000)
      if (r.code !== 0 || r.timedOut) {
        const why = r.timedOut ? 'timed out' : r.stderr.trim().replace(/^mount: /, '')
        throw runtimeFailed(`error while mounting volume '${data}': failed to mount local volume: mount ${device}:${data}, type ${type}${o !== undefined ? `, data: ${o}` : ''}: ${why}`)
      }
      this.log.info({ volume: name }, 'volume mounted')
    })
    return data
  }

  /** Unmounts the DriverOpts mounts of `names` that no container uses any more. */
  async release (names: Iterable<string>): Promise<void> {
    for (const name of new Set(names)) {
      const rec = this.vols.get(name)
      if (rec?.options.type === undefined) continue
      await this.serial(async () => {
        if (this.usedBy(name).length > 0) return
        await unmountIfMounted(this.mountpoint(name))
        this.log.info({ volume: name }, 'volume unmounted')
      }).catch(err => this.log.error({ err, volume: name }, 'volume unmount failed'))
    }
  }

  /** Unmounts every DriverOpts mount no container uses (after a crash, at start-up). */
  async releaseUnused (): Promise<void> { await this.release(this.vols.keys()) }

  /** Docker's volume event, with `extra` attributes (container, destination, ...). */
  event (rec: Pick<VolumeRecord, 'name'>, action: string, extra: Record<string, string> = {}): void {
    this.opts.events?.emit({ Type: 'volume', Action: action, Actor: { ID: rec.name, Attributes: { driver: 'local', ...extra } } })
  }
}
