/**
 * The container manager: owns every container's record and lifecycle, one
 * operation at a time per container. Operations go refresh → check → act →
 * persist; an exit code reaches the record before any waiter hears of it (on
 * a full disk it is shown from memory at once and written when the disk
 * allows), and a container's state dir is removed only after that.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs'
import { lstat, readFile, readdir, realpath, rm, writeFile, mkdir } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import type { Readable } from 'node:stream'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import { conflict, forbidden, hasCode, invalid, noSuchContainer, notModified, runtimeFailed, BerthError } from '../errors.js'
import { isAlive, startTime } from '../proc.js'
import { Runtime } from '../runtime/runtime.js'
import { createContainer, killMonitor, monitorFromPidFile, readExitFile, wasOomKilled } from '../shims/conmon.js'
import { attach, resizeTerminal, type AttachConnection } from '../shims/attach.js'
import { seqpacketSupport } from '../shims/seqpacket.js'
import { ensureDir, hideTree, removeTree, writeFileAtomic } from '../store/atomic.js'
import { RecordStore, RECORD_VERSION, ZERO_TIME, type ContainerRecord } from '../store/records.js'
import { generateName, isSafeRef, newId, normalizeName } from './names.js'
import { decideRecovery, type RecoveryAction } from './recovery.js'
import { Execs, type ExecConfig, type ExecRecord, type ExecSession } from './exec.js'
import { checkCreateBody, checkSpecPaths, dockerSpec, hostsFile, mergeImageConfig, parseSpecJson, resolvConf, specJson, type DockerCreateBody } from './dockerspec.js'
import { isMounted, mkdirInRootfs, mountRootfs, rootfsPaths, unmountRootfs } from './rootfs.js'
import { resolveUserIn } from './users.js'
import { ImageStore, type ImageRecord } from '../images/store.js'
import { familiarKey, parseRepoTag, refKey } from '../images/reference.js'
import { archivePath, exportRootfs, extractToDir, layerDiff, statPath, type CopyTarget } from './archive.js'
import { bindsOf, type PathStat } from './archive-paths.js'
import { changeLines, commitConfig, containerConfig, type CommitConfig } from './commit.js'
import type { EventBus } from '../events/bus.js'
import { signalNumber } from './signals.js'
import { canKill, canRemoveWithoutForce, hasMonitor, isRunning, isUp } from './state.js'
import { NO_RESTART, nextBackoff, parseRestartPolicy, restartAfterExit, restartAtStartup, type AskedPolicy, type RestartPolicy } from './restart.js'
import { execa } from 'execa'
import { cgroupOf, cgroupPids, filterPs, readSample, type CgroupPaths, type RawSample } from './cgroupstats.js'
import { matches, type FilterRefs, type Filters } from './filters.js'
import { applyUpdate, type UpdateBody } from './update.js'
import { dieAttributes } from './view.js'

/** What a client asks for when creating a container from an OCI bundle. */
export interface CreateRequest {
  bundle: string
  name?: string
  runtime?: string
  labels?: Record<string, string>
  tty?: boolean
  openStdin?: boolean
  stdinOnce?: boolean
  /** Initial terminal size, [height, width]. */
  consoleSize?: [number, number]
  /** Docker's RestartPolicy; none when absent. */
  restartPolicy?: AskedPolicy | null
}

/** What the manager takes besides its config, log and image store. */
export interface ManagerOptions {
  /** Where Docker's container events go (none when absent). */
  events?: EventBus
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed'

type Listener = (code: number) => void

/** In-memory state of one container. */
interface Entry {
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
}

const newEntry = (rec: ContainerRecord): Entry => ({ rec, queue: Promise.resolve(), onExit: new Set(), onRemove: new Set(), pendingAttach: new Set(), backoffMs: 0 })

const policyOf = (rec: ContainerRecord): RestartPolicy => rec.autoRemove === true ? NO_RESTART : rec.restartPolicy ?? NO_RESTART

/** The largest terminal side a resize may ask for (struct winsize holds 16 bits). */
export const MAX_TERMINAL = 65535

const LIVENESS_MS = 2000
const RECOVERY_LIMIT_MS = 15_000

/** Owns all containers of one berthd. */
export class ContainerManager {
  private readonly entries = new Map<string, Entry>()
  private readonly names = new Map<string, string>()
  private readonly reserved = new Set<string>()
  private readonly runtimes = new Map<string, Runtime>()
  private readonly store: RecordStore
  private readonly execs: Execs
  private watcher: FSWatcher | undefined
  /** Clean-ups found at start-up wait for this, so that serving comes first (see serving()). */
  private startupDone: () => void = () => {}
  private readonly afterStartup = new Promise<void>(resolve => { this.startupDone = resolve })
  private recovering = false
  private ticker: NodeJS.Timeout | undefined
  readonly paths
  /** "1" or "2": the cgroup hierarchy containers get (hybrid hosts count as 1). */
  readonly cgroupVersion = existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1'

  private readonly events: EventBus | undefined

  constructor (readonly config: Readonly<Config>, private readonly log: Logger, readonly images: ImageStore, opts: ManagerOptions = {}) {
    this.events = opts.events
    this.paths = {
      records: join(config.root, 'containers'),
      states: join(config.state, 'containers'),
      exits: join(config.state, 'exits'),
      sockets: join(config.state, 'sock'),
      runtimeRoot: (name: string) => join(config.state, 'rt', name)
    }
    this.store = new RecordStore(this.paths.records)
    this.execs = new Execs(config.conmon, this.paths.sockets, x => this.execEvent(x, 'exec_die', { exitCode: String(x.exitCode) }))
    for (const rt of Object.values(config.runtimes)) {
      this.runtimes.set(rt.name, new Runtime({ name: rt.name, path: rt.path, root: this.paths.runtimeRoot(rt.name), extraArgs: config.runtimeArgs }))
    }
  }

  /** Makes the dirs, re-loads every container from disk, and starts watching for exits. */
  async init (): Promise<void> {
    const seqpacket = seqpacketSupport()
    if (seqpacket !== undefined) throw new Error(`attach and exec need SOCK_SEQPACKET sockets through koffi, which fail here: ${seqpacket}`)
    for (const d of [this.paths.records, this.paths.states, this.paths.exits, this.paths.sockets]) await ensureDir(d)
    for (const name of this.runtimes.keys()) await ensureDir(this.paths.runtimeRoot(name))
    // Where an earlier berthd kept ready-made FIFOs.
    await rm(join(this.config.state, 'fifos'), { recursive: true, force: true })
    this.watcher = watch(this.paths.exits, (_event, file) => { if (file !== null) this.exitFileSeen(file.toString()) })
    this.watcher.on('error', err => this.log.error({ err }, 'exit dir watch failed'))
    this.recovering = true
    await this.recover()
    this.recovering = false
    this.startAfterRecovery()
    this.ticker = setInterval(() => { void this.checkLiveness() }, LIVENESS_MS)
    this.ticker.unref()
  }

  /** Called once berthd serves: the clean-ups re-loading found (runtime state of runs that ended while it was down) begin. */
  serving (): void { this.startupDone() }

  /** Stops watching. Containers and their monitors keep running; pending restarts happen when berthd starts again. */
  close (): void {
    this.watcher?.close()
    if (this.ticker !== undefined) clearInterval(this.ticker)
    for (const e of this.entries.values()) clearTimeout(e.restartTimer)
  }

  /** The id of a container made from image `imageId`, if any (the image store refuses to delete it). */
  imageUser (imageId: string): string | undefined {
    for (const e of this.entries.values()) if (e.rec.image === imageId) return e.rec.id
    return undefined
  }

  /** Runtime names clients may ask for. */
  runtimeNames (): string[] { return [...this.runtimes.keys()] }
  runtime (name: string): Runtime | undefined { return this.runtimes.get(name) }

  // ---- lookups ------------------------------------------------------------

  /** Docker's order: exact id, exact name (with or without "/"), unique id prefix. */
  resolve (ref: string): ContainerRecord { return this.entryOf(ref).rec }

  private entryOf (ref: string): Entry {
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

  /** Every container's record, newest first. */
  list (): ContainerRecord[] {
    return [...this.entries.values()].map(e => e.rec).sort((a, b) => b.created.localeCompare(a.created))
  }

  /**
   * Looks up what list filters name: `ancestor` images (an unknown one is
   * skipped, as Docker skips it) and the `before`/`since` containers (404
   * when unknown, as in Docker).
   */
  filterRefs (f: Filters): FilterRefs {
    const refs: FilterRefs = {}
    const ancestors = f.get('ancestor') ?? []
    if (ancestors.length > 0) {
      refs.images = new Set(ancestors.flatMap(a => { try { return [this.images.resolve(a).id] } catch { return [] } }))
    }
    for (const key of ['before', 'since'] as const) {
      const ref = f.get(key)?.at(-1)
      if (ref !== undefined) refs[key] = this.resolve(ref)
    }
    return refs
  }

  /** Path of the container's log file (written by conmon). */
  logPath (id: string): string { return join(this.store.containerDir(id), 'ctr.log') }

  // ---- create ---------------------------------------------------------------

  /** Creates a container from an OCI bundle; on any failure, nothing it made is left. */
  async create (req: CreateRequest): Promise<string> {
    const runtime = this.runtimeNamed(req.runtime)
    const restartPolicy = parseRestartPolicy(req.restartPolicy)
    const spec = await readBundle(req.bundle)
    return await this.createWith(req.name, runtime, async rec => {
      const proc = spec.process ?? {}
      Object.assign(rec, {
        restartPolicy,
        bundle: req.bundle,
        labels: req.labels ?? {},
        tty: req.tty ?? proc.terminal ?? false,
        openStdin: req.openStdin ?? false,
        stdinOnce: req.stdinOnce ?? false,
        ...(req.consoleSize !== undefined ? { consoleSize: req.consoleSize } : {}),
        path: proc.args?.[0] ?? '',
        args: proc.args?.slice(1) ?? [],
        env: proc.env ?? [],
        cwd: proc.cwd ?? '/',
        hostname: spec.hostname ?? '',
        user: proc.user !== undefined ? `${proc.user.uid ?? 0}:${proc.user.gid ?? 0}` : ''
      })
      return spec
    })
  }

  /**
   * Docker's create: an image and Docker's body. Mounts the image's layers
   * as the container's rootfs, writes its /etc files and the OCI spec into a
   * bundle in its dir, and creates it from there. Every field berth cannot
   * honour is refused, naming it.
   */
  async createFromImage (body: DockerCreateBody, name: string | undefined): Promise<string> {
    checkCreateBody(body)
    const host = body.HostConfig ?? {}
    const runtime = this.runtimeNamed(host.Runtime !== undefined && host.Runtime !== null && host.Runtime !== '' ? host.Runtime : undefined)
    const image = this.images.resolve(body.Image ?? '')
    return await this.createWith(name, runtime, async rec => {
      const dir = this.store.containerDir(rec.id)
      const paths = rootfsPaths(dir)
      await mountRootfs(image.layerDirs, paths)
      const merged = mergeImageConfig(image.config, body)
      // Docker's default user is root, with root's groups from the image's group file.
      const user = await resolveUserIn(paths.merged, merged.User !== '' ? merged.User : '0')
      const files = { hostname: join(dir, 'hostname'), hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') }
      const spec = dockerSpec({
        id: rec.id, body, image: image.config, rootfs: paths.merged, user, files,
        ...(host.Init === true ? { init: this.config.init } : {}),
        cgroupsPath: `/berth/${rec.id}`
      })
      // Docker makes the working dir when the image lacks it; inside the rootfs, whatever symlinks lie on the way.
      mkdirInRootfs(paths.merged, spec.process.cwd)
      await writeFile(files.hostname, `${spec.hostname ?? rec.id.slice(0, 12)}\n`)
      const hostNetwork = host.NetworkMode === 'host'
      const hostFile = (path: string): Promise<string> => readFile(path, 'utf8').catch(() => '')
      await writeFile(files.hosts, hostsFile(spec.hostname ?? rec.id.slice(0, 12), host.ExtraHosts, hostNetwork ? await hostFile('/etc/hosts') : undefined))
      await writeFile(files.resolvConf, resolvConf(await hostFile('/etc/resolv.conf'), { dns: host.Dns, dnsSearch: host.DnsSearch, dnsOptions: host.DnsOptions, hostNetwork }))
      const bundle = join(dir, 'bundle')
      await mkdir(bundle, { recursive: true })
      await writeFileAtomic(join(bundle, 'config.json'), specJson(spec))
      Object.assign(rec, {
        bundle,
        labels: merged.Labels,
        tty: body.Tty === true,
        openStdin: body.OpenStdin === true,
        stdinOnce: body.StdinOnce === true,
        ...(Array.isArray(host.ConsoleSize) && host.ConsoleSize[0]! > 0 ? { consoleSize: host.ConsoleSize as [number, number] } : {}),
        path: spec.process.args[0] ?? '',
        args: spec.process.args.slice(1),
        env: spec.process.env,
        cwd: spec.process.cwd,
        hostname: spec.hostname ?? '',
        user: merged.User,
        image: image.id,
        imageName: body.Image ?? '',
        entrypoint: merged.Entrypoint,
        cmd: merged.Cmd,
        layerDirs: image.layerDirs,
        createBody: body as Record<string, unknown>,
        autoRemove: host.AutoRemove === true,
        restartPolicy: parseRestartPolicy(host.RestartPolicy),
        ...(merged.StopSignal !== '' ? { stopSignal: merged.StopSignal } : {}),
        ...(typeof body.StopTimeout === 'number' ? { stopTimeout: body.StopTimeout } : {})
      })
      return await readBundle(bundle)
    })
  }

  private runtimeNamed (name: string | undefined): Runtime {
    const runtime = this.runtimes.get(name ?? this.config.defaultRuntime)
    if (runtime === undefined) throw invalid(`unknown or invalid runtime name: ${String(name)}`)
    return runtime
  }

  /**
   * The part of every create after the request is checked: a unique name, a
   * fresh id, the container's dir, `build` (which fills in the record and
   * gives the spec), then the monitor. On any failure nothing is left.
   */
  private async createWith (asked: string | undefined, runtime: Runtime, build: (rec: ContainerRecord) => Promise<OciSpec>): Promise<string> {
    const name = asked !== undefined && asked !== '' ? normalizeName(asked) : generateName(n => this.nameTaken(n))
    if (this.nameTaken(name)) throw nameInUse(name, this.names.get(name))
    this.reserved.add(name)
    const id = newId()
    const rec: ContainerRecord = {
      version: RECORD_VERSION, id, name, created: new Date().toISOString(), bundle: '', runtime: runtime.opts.name,
      labels: {}, tty: false, openStdin: false, path: '', args: [], env: [], cwd: '/', hostname: '', user: '',
      status: 'creating', pid: 0, pidStart: 0, monitorPid: 0, monitorStart: 0, exitCode: 0, error: '',
      oomKilled: false, startedAt: ZERO_TIME, finishedAt: ZERO_TIME, restartCount: 0
    }
    const log = this.log.child({ container: id.slice(0, 12), name })
    try {
      // The first record is written once the monitor has reported: if berthd dies before that,
      // start-up finds a state dir and a container dir without a record, and removes both.
      const dir = await this.store.createDir(id)
      const spec = await build(rec)
      await this.launchMonitor(rec, spec)
      rec.status = 'created'
      await Promise.all([dir.synced, this.store.save(rec)])
    } catch (err) {
      log.info({ err }, 'create failed, undoing')
      await this.undoCreate(rec)
      this.reserved.delete(name)
      throw err
    }
    this.reserved.delete(name)
    this.entries.set(id, newEntry(rec))
    this.names.set(name, id)
    log.info('container created')
    this.event(rec, 'create')
    return id
  }

  private nameTaken (name: string): boolean { return this.names.has(name) || this.reserved.has(name) }

  /**
   * Writes our private bundle (the user's config.json with root.path made
   * absolute and process.terminal following Tty) and runs the create
   * handshake. Fills in the pids on success.
   */
  private async launchMonitor (rec: ContainerRecord, spec?: OciSpec): Promise<void> {
    const runtime = this.runtimeOf(rec)
    if (rec.layerDirs !== undefined) await mountRootfs(rec.layerDirs, rootfsPaths(this.store.containerDir(rec.id)))
    spec ??= await readBundle(rec.bundle)
    const stateDir = join(this.paths.states, rec.id)
    const bundleDir = join(stateDir, 'bundle')
    await mkdir(bundleDir, { recursive: true, mode: 0o700 })
    // An exit file from an earlier run must never be taken for this run's.
    await rm(join(this.paths.exits, rec.id), { force: true })
    // runc refuses a rootfs path that is relative or goes through a symlink.
    const rootPath = await realpath(resolve(rec.bundle, spec.root?.path ?? 'rootfs')).catch(() => {
      throw invalid(`bundle ${rec.bundle}: root.path ${spec.root?.path ?? 'rootfs'} does not exist`)
    })
    const ours: OciSpec = {
      ...spec,
      root: { ...spec.root, path: rootPath },
      process: { ...spec.process, terminal: rec.tty }
    }
    if (rec.tty && rec.consoleSize !== undefined) ours.process!.consoleSize = { height: rec.consoleSize[0], width: rec.consoleSize[1] }
    await writeFile(join(bundleDir, 'config.json'), specJson(ours))
    const info = await createContainer({
      id: rec.id,
      name: rec.name,
      conmon: this.config.conmon,
      runtime: runtime.opts,
      stateDir,
      bundleDir,
      exitDir: this.paths.exits,
      socketDir: this.paths.sockets,
      logPath: this.logPath(rec.id),
      logSizeMax: this.config.logSizeMax,
      tty: rec.tty,
      openStdin: rec.openStdin,
      stdinOnce: rec.stdinOnce ?? false,
      timeoutMs: this.config.createTimeout * 1000
    })
    Object.assign(rec, info)
  }

  /** Removes everything a create (or a start of an exited container) made. */
  private async undoCreate (rec: ContainerRecord): Promise<void> {
    await this.cleanupRun(rec)
    await this.removeContainerDir(rec.id)
  }

  /** Removes a container's dir in the root, unmounting its rootfs first. */
  private async removeContainerDir (id: string): Promise<void> {
    const dir = this.store.containerDir(id)
    await unmountRootfs(rootfsPaths(dir))
    await removeTree(dir)
  }

  /**
   * Ends one run of a container: its monitor, its runtime state, its state
   * dir and its exit file. Only called once the exit (if any) is committed.
   */
  private async cleanupRun (rec: ContainerRecord): Promise<void> {
    const stateDir = join(this.paths.states, rec.id)
    // The pid file names this run's monitor even when the record does not yet (or still names the last run's).
    const fromFile = await monitorFromPidFile(stateDir, rec.id)
    const monitor = fromFile !== 0 ? { pid: fromFile, start: startTime(fromFile) } : { pid: rec.monitorPid, start: rec.monitorStart }
    const runtime = this.runtimes.get(rec.runtime)
    if (runtime !== undefined) {
      await runtime.delete(rec.id, true).catch((err: unknown) => this.log.warn({ err, container: rec.id }, 'runtime delete failed'))
    }
    // The monitor normally exits by itself once its container is gone; give it a moment.
    for (let i = 0; i < 200 && isAlive(monitor.pid, monitor.start); i++) await sleep(5)
    killMonitor(monitor.pid, monitor.start)
    await rm(join(this.paths.sockets, rec.id), { force: true }) // conmon's attach symlink, left when create fails
    await rm(join(this.paths.exits, rec.id), { force: true })
    // Last: a missing state dir means this run is fully cleaned up.
    await rm(stateDir, { recursive: true, force: true })
  }

  private runtimeOf (rec: ContainerRecord): Runtime {
    const rt = this.runtimes.get(rec.runtime)
    if (rt === undefined) throw runtimeFailed(`runtime ${rec.runtime} is not configured in this berthd`)
    return rt
  }

  // ---- start / kill / stop ---------------------------------------------------

  /** Starts a created container, or runs an exited one again. 304 if it is running or restarting. */
  async start (ref: string): Promise<void> {
    const e = this.entryOf(ref)
    await this.serial(e, async () => {
      if (isUp(e.rec.status)) throw notModified('container already started')
      await this.startRun(e, true)
    })
  }

  /**
   * A run that could not start: Docker records the failure on the container,
   * which is left stopped (and removed, with AutoRemove: docker run --rm
   * waits for the removal even then). Returns `err` for the caller to throw.
   */
  private async failedStart (e: Entry, err: unknown): Promise<unknown> {
    await this.cleanupRun(e.rec)
    await this.markExited(e.rec, 128, (err as Error).message)
    this.notifyExit(e, 128)
    this.removeIfAuto(e)
    return err
  }

  /**
   * Starts the container's next run: a new monitor unless it has a created
   * one. A start through the API (`manual`) starts the restart count and
   * back-off over, as Docker's does; a policy restart keeps them.
   */
  private async startRun (e: Entry, manual: boolean): Promise<void> {
    // The last run's end goes on record (and its state away) before a new run starts.
    await this.commitLater(e)
    const rec = e.rec
    if (rec.status === 'exited' || rec.status === 'restarting') {
      // Only in memory: on disk the container stays exited (or restarting) until it runs, so
      // a crash here leaves a stopped container whose new monitor start-up cleans away.
      rec.status = 'creating'
      try {
        await this.launchMonitor(rec)
      } catch (err) {
        throw await this.failedStart(e, err)
      }
      rec.status = 'created'
      await this.store.save(rec)
    }
    this.connectPending(e)
    const startedAt = new Date().toISOString()
    try {
      await this.runtimeOf(rec).start(rec.id)
    } catch (err) {
      throw await this.failedStart(e, err)
    }
    const restarts = manual ? { restartCount: 0 } : {}
    Object.assign(rec, { status: 'running', startedAt, finishedAt: ZERO_TIME, exitCode: 0, error: '', oomKilled: false, manuallyStopped: false, ...restarts })
    await this.store.save(rec)
    if (manual) e.backoffMs = 0
    this.event(rec, 'start')
  }

  /** Tells the waiters for the end of this run, once it is committed. */
  private notifyExit (e: Entry, code: number): void {
    for (const fn of e.onExit) fn(code)
    e.onExit.clear()
  }

  private async markExited (rec: ContainerRecord, code: number, error: string): Promise<void> {
    const next: ContainerRecord = { ...rec, status: 'exited', exitCode: code, error, pid: 0, finishedAt: new Date().toISOString() }
    await this.store.save(next)
    Object.assign(rec, next)
    this.event(rec, 'die', dieAttributes(rec))
  }

  /**
   * Marks the container stopped through the API (Docker's
   * HasBeenManuallyStopped), which rules out a policy restart when it exits.
   * A restart waiting out its back-off is cancelled, leaving the container
   * exited: true then, and there is nothing left to signal.
   */
  private async stopAsked (e: Entry): Promise<boolean> {
    const rec = e.rec
    const restarting = rec.status === 'restarting'
    clearTimeout(e.restartTimer)
    e.restartTimer = undefined
    if (rec.manuallyStopped === true && !restarting) return false
    const next: ContainerRecord = { ...rec, manuallyStopped: true, ...(restarting ? { status: 'exited' as const } : {}) }
    await this.store.save(next)
    Object.assign(rec, next)
    if (restarting) {
      this.log.info({ container: rec.id.slice(0, 12) }, 'pending restart cancelled')
      this.notifyExit(e, rec.exitCode)
    }
    return restarting
  }

  /** Sends a signal. 409 unless running; a restarting container's pending restart is cancelled instead, as Docker does. */
  async kill (ref: string, signal: string): Promise<void> {
    const e = this.entryOf(ref)
    await this.serial(e, async () => {
      if (e.rec.status === 'paused') throw conflict(`Container ${e.rec.id} is paused. Unpause the container before stopping or killing`)
      if (e.rec.status === 'restarting') { await this.stopAsked(e); return }
      if (!canKill(e.rec.status)) throw conflict(`Cannot kill container: ${ref}: Container ${e.rec.id} is not running`)
      await this.stopAsked(e)
      await this.runtimeOf(e.rec).kill(e.rec.id, signal).catch((err: unknown) => {
        // The process exited after the status was read: the runtime's refusal is Docker's 409.
        throw hasCode(err, 'CONFLICT') ? conflict(`Cannot kill container: ${ref}: ${(err as Error).message}`) : err
      })
      this.event(e.rec, 'kill', { signal: signalNumber(signal) })
    })
  }

  /** Freezes a running container (the runtime's cgroup freezer). */
  async pause (ref: string): Promise<void> {
    const e = this.entryOf(ref)
    await this.serial(e, async () => {
      if (e.rec.status === 'paused') throw conflict(`container ${e.rec.id} is already paused`)
      if (e.rec.status !== 'running') throw conflict(`Container ${e.rec.id} is not running`)
      await this.runtimeOf(e.rec).pause(e.rec.id)
      e.rec.status = 'paused'
      await this.store.save(e.rec)
      this.event(e.rec, 'pause')
    })
  }

  /** Thaws a paused container. */
  async unpause (ref: string): Promise<void> {
    const e = this.entryOf(ref)
    await this.serial(e, async () => {
      if (e.rec.status !== 'paused') throw conflict(`container ${e.rec.id} is not paused`)
      await this.runtimeOf(e.rec).resume(e.rec.id)
      e.rec.status = 'running'
      await this.store.save(e.rec)
      this.event(e.rec, 'unpause')
    })
  }

  /**
   * Docker's stop: `signal`, then SIGKILL after `timeoutS` seconds (-1: wait
   * for ever). 304 unless running; a restarting container just stays exited.
   */
  async stop (ref: string, timeout?: number, asked?: string): Promise<void> {
    const e = this.entryOf(ref)
    const timeoutS = timeout ?? e.rec.stopTimeout ?? 10
    const signal = asked ?? e.rec.stopSignal ?? 'SIGTERM'
    const exited = this.nextExit(e)
    try {
      // False when only a pending restart was cancelled: nothing runs, nothing to wait for.
      const signalled = await this.serial(e, async () => {
        if (e.rec.status === 'restarting') {
          await this.stopAsked(e)
          return false
        }
        if (!isRunning(e.rec.status)) throw notModified('container already stopped')
        await this.stopAsked(e)
        if (e.rec.status === 'paused') {
          await this.runtimeOf(e.rec).resume(e.rec.id)
          // Thawed: a second stop must not resume again (the runtime refuses, found by the fuzzer as a 500).
          e.rec.status = 'running'
          await this.store.save(e.rec)
        }
        await this.runtimeOf(e.rec).kill(e.rec.id, signal).catch(() => {})
        this.event(e.rec, 'kill', { signal: signalNumber(signal) })
        return true
      })
      if (signalled && timeoutS < 0) await exited.promise
      else if (signalled && !await withTimeout(exited.promise, timeoutS * 1000)) {
        await this.serial(e, async () => {
          if (isRunning(e.rec.status)) await this.runtimeOf(e.rec).kill(e.rec.id, 'SIGKILL', true).catch(() => {})
        })
        if (!await withTimeout(exited.promise, 30_000)) throw runtimeFailed(`container ${e.rec.id} did not exit after SIGKILL`)
      }
      this.event(e.rec, 'stop')
    } finally {
      exited.cancel()
    }
  }

  /** Stop (if running), then start. */
  async restart (ref: string, timeoutS?: number, signal?: string): Promise<void> {
    try {
      await this.stop(ref, timeoutS, signal)
    } catch (err) {
      if (!(err instanceof BerthError && err.code === 'NOT_MODIFIED')) throw err
    }
    await this.start(ref)
    this.event(this.resolve(ref), 'restart')
  }

  // ---- wait / remove ---------------------------------------------------------

  /**
   * Registers a waiter and returns at once; `promise` settles with the exit
   * code when `condition` is met. Registering before any response is sent
   * means an exit right after can never be missed.
   */
  wait (ref: string, condition: WaitCondition): { promise: Promise<number>, cancel: () => void } {
    const e = this.entryOf(ref)
    if (condition === 'removed') return this.listen(e.onRemove)
    if (condition === 'not-running' && !isUp(e.rec.status) && e.rec.status !== 'creating') {
      return { promise: Promise.resolve(e.rec.exitCode), cancel: () => {} }
    }
    return this.nextExit(e)
  }

  /** A promise for the end of the current run: settles on the next exit or on removal. */
  private nextExit (e: Entry): { promise: Promise<number>, cancel: () => void } {
    const a = this.listen(e.onExit)
    const b = this.listen(e.onRemove)
    return { promise: Promise.race([a.promise, b.promise]), cancel: () => { a.cancel(); b.cancel() } }
  }

  private listen (set: Set<Listener>): { promise: Promise<number>, cancel: () => void } {
    let fn: Listener = () => {}
    const promise = new Promise<number>(resolve => { fn = resolve; set.add(fn) })
    return { promise, cancel: () => set.delete(fn) }
  }

  /** Docker's remove: 409 if running without `force`; with it, SIGKILL first. */
  async remove (ref: string, force: boolean): Promise<void> {
    const e = this.entryOf(ref)
    const exited = this.nextExit(e)
    try {
      let waitForExit = false
      await this.serial(e, async () => {
        if (!canRemoveWithoutForce(e.rec.status) && e.rec.status !== 'creating') {
          const state = e.rec.status === 'restarting' ? 'restarting' : 'running'
          if (!force) throw conflict(`cannot remove container "/${e.rec.name}": container is ${state}: stop the container before removing or force remove`)
          // Docker's force-remove kills, which rules out a restart; a pending one is cancelled.
          if (await this.stopAsked(e)) return
          if (e.rec.status === 'paused') await this.runtimeOf(e.rec).resume(e.rec.id).catch(() => {})
          await this.runtimeOf(e.rec).kill(e.rec.id, 'SIGKILL', true).catch(() => {})
          waitForExit = true
        }
      })
      if (waitForExit) await withTimeout(exited.promise, 10_000)
    } finally {
      exited.cancel()
    }
    await this.serial(e, async () => {
      if (!this.entries.has(e.rec.id)) throw noSuchContainer(ref)
      const rec = e.rec
      // An exited container's run was cleaned up when its exit was committed (the state dir goes last).
      const runLeft = rec.status !== 'exited' || existsSync(join(this.paths.states, rec.id))
      // The dir's rename to a dot-name is the one step that removes the container, and it writes
      // nothing, so a full disk cannot keep a container (or its space) from going. A crash after it
      // leaves a dot-dir the next start deletes and a run it cleans as leaked; a crash before it, the
      // container as if the DELETE had not come.
      const was = rec.status
      rec.status = 'removing'
      let hidden: string | undefined
      try {
        hidden = await hideTree(this.store.containerDir(rec.id))
      } catch (err) {
        rec.status = was
        throw err
      }
      try {
        if (runLeft) await this.cleanupRun(rec)
        if (hidden !== undefined) await unmountRootfs(rootfsPaths(hidden))
        if (hidden !== undefined) await rm(hidden, { recursive: true, force: true })
      } catch (err) {
        this.log.error({ err, container: rec.id.slice(0, 12) }, 'clean-up after removal failed; the next start finishes it')
      }
      this.entries.delete(rec.id)
      this.names.delete(rec.name)
      this.execs.dropContainer(rec.id)
      for (const fn of e.pendingAttach) fn(undefined)
      e.pendingAttach.clear()
      for (const fn of e.onRemove) fn(rec.exitCode)
      e.onRemove.clear()
      this.log.info({ container: rec.id.slice(0, 12) }, 'container removed')
      this.event(rec, 'destroy')
    })
  }

  // ---- attach / resize / exec --------------------------------------------------

  /**
   * An attach to the container: `done` settles when its current or next run
   * ends (or it is removed), which is when the attach's output ends. With
   * `stdin`, and a container that keeps stdin open, `conn` is a connection to
   * the monitor: at once for a created or running container, or, for a
   * stopped one, when it next starts and before its process runs (Docker's
   * `start -a`); undefined if the container is removed first.
   */
  attach (ref: string, stdin: boolean): { rec: ContainerRecord, done: Promise<unknown>, cancel: () => void, conn?: Promise<AttachConnection | undefined> } {
    const e = this.entryOf(ref)
    const rec = e.rec
    if (rec.status === 'paused') throw conflict(`container ${rec.id} is paused, unpause the container before attach`)
    const ended = this.nextExit(e)
    this.event(rec, 'attach')
    if (!stdin || !rec.openStdin) return { rec, done: ended.promise, cancel: ended.cancel }
    if (hasMonitor(rec.status)) {
      const conn = Promise.resolve(attach(this.paths.sockets, rec.id))
      return { rec, done: ended.promise, cancel: ended.cancel, conn }
    }
    let settle: (conn: AttachConnection | undefined) => void = () => {}
    const conn = new Promise<AttachConnection | undefined>(resolve => { settle = resolve })
    const fn = (c: AttachConnection | undefined): void => { e.pendingAttach.delete(fn); settle(c) }
    e.pendingAttach.add(fn)
    // A client that leaves before the next run stops waiting for it.
    const cancel = (): void => { ended.cancel(); if (e.pendingAttach.has(fn)) fn(undefined) }
    return { rec, done: ended.promise, cancel, conn }
  }

  private connectPending (e: Entry): void {
    for (const fn of [...e.pendingAttach]) {
      let conn: AttachConnection | undefined
      try { conn = attach(this.paths.sockets, e.rec.id) } catch (err) { this.log.warn({ err }, 'attach to the new monitor failed') }
      fn(conn)
    }
  }

  /** Resizes the terminal of a running TTY container. */
  async resize (ref: string, height: number, width: number): Promise<void> {
    const rec = this.resolve(ref)
    checkSize(height, width)
    if (!isRunning(rec.status)) throw conflict(`container ${rec.id} is not running`)
    if (!rec.tty) throw conflict(`container ${rec.id} has no terminal (it was created without Tty)`)
    await resizeTerminal(join(this.paths.states, rec.id, 'bundle'), height, width).catch(() => {
      throw conflict(`container ${rec.id} is not running`)
    })
  }

  /** Docker's exec create: 409 unless the container runs. */
  async createExec (ref: string, config: ExecConfig): Promise<string> {
    const rec = this.resolve(ref)
    this.checkExecTarget(rec)
    const exec = await this.execs.create(rec.id, join(this.paths.states, rec.id), config)
    this.execEvent(exec, `exec_create: ${config.cmd.join(' ')}`)
    return exec.id
  }

  private checkExecTarget (rec: ContainerRecord): void {
    if (rec.status === 'paused') throw conflict(`Container ${rec.id} is paused, unpause the container before exec`)
    if (rec.status !== 'running') throw conflict(`container ${rec.id} is not running`)
  }

  /** Starts an exec; attached, its session (see Execs.start). */
  async startExec (execId: string, detach: boolean, raw?: boolean): Promise<{ exec: ExecRecord, session?: ExecSession }> {
    const exec = this.execs.get(execId)
    const e = this.entries.get(exec.containerId)
    if (e === undefined) throw noSuchContainer(exec.containerId)
    this.checkExecTarget(e.rec)
    this.execEvent(exec, `exec_start: ${exec.config.cmd.join(' ')}`)
    const session = await this.execs.start(exec, this.execTarget(e.rec), detach, raw)
    return { exec, session }
  }

  inspectExec (execId: string): ExecRecord { return this.execs.get(execId) }

  execIds (containerId: string): string[] { return this.execs.ofContainer(containerId) }

  async resizeExec (execId: string, height: number, width: number): Promise<void> {
    checkSize(height, width)
    const exec = this.execs.get(execId)
    const e = this.entries.get(exec.containerId)
    if (e === undefined) throw noSuchContainer(exec.containerId)
    await this.execs.resize(exec, this.execTarget(e.rec), height, width)
  }

  private execTarget (rec: ContainerRecord) {
    return { id: rec.id, stateDir: join(this.paths.states, rec.id), runtime: this.runtimeOf(rec).opts }
  }

  // ---- exits -----------------------------------------------------------------

  /** Called for every change in the exits dir. */
  private exitFileSeen (id: string): void {
    const e = this.entries.get(id)
    if (e === undefined || !hasMonitor(e.rec.status)) return
    void this.serial(e, () => this.commitExit(e)).catch(err => this.log.error({ err, container: id }, 'commit exit failed'))
  }

  /**
   * Commits conmon's exit file into the record, then tells the waiters, then
   * removes the run's state. Idempotent.
   */
  private async commitExit (e: Entry): Promise<void> {
    const rec = e.rec
    if (!hasMonitor(rec.status)) return
    const exit = await readExitFile(this.paths.exits, rec.id)
    if (exit === undefined) return
    await this.finishRun(e, exit.code, exit.at.toISOString(), '', wasOomKilled(join(this.paths.states, rec.id, 'bundle')))
  }

  /**
   * Commits a run's end, then tells the waiters, cleans up after the run,
   * and, when the policy says so, waits out the back-off and starts it
   * again (status `restarting` meanwhile, Docker's die then start). Exits
   * found while re-loading are left to startAfterRecovery.
   */
  private async finishRun (e: Entry, code: number, finishedAt: string, error: string, oomKilled: boolean): Promise<void> {
    const rec = e.rec
    e.backoffMs = nextBackoff(e.backoffMs, Date.parse(finishedAt) - Date.parse(rec.startedAt))
    const restart = !this.recovering &&
      restartAfterExit(policyOf(rec), { exitCode: code, manuallyStopped: rec.manuallyStopped === true, restartCount: rec.restartCount })
    // Persist, then show: a client that sees "exited" must not be able to wait for this exit again.
    const next: ContainerRecord = {
      ...rec, status: restart ? 'restarting' : 'exited', exitCode: code, finishedAt, error, oomKilled, pid: 0, restartCount: rec.restartCount + (restart ? 1 : 0)
    }
    let saveErr: unknown
    await this.store.save(next).catch((err: unknown) => { saveErr = err })
    Object.assign(rec, next)
    this.log.info({ container: rec.id.slice(0, 12), exitCode: code, error, ...(restart ? { restartInMs: e.backoffMs } : {}) }, 'container exited')
    if (oomKilled) this.event(rec, 'oom')
    this.event(rec, 'die', dieAttributes(rec))
    this.notifyExit(e, code)
    if (saveErr !== undefined) {
      // A full disk must not hide an exit: it is shown from memory at once, and committed when a write
      // succeeds (commitLater). conmon's exit file and the run's state stay until then, so a restart
      // of berthd meanwhile reads the exit again.
      e.uncommitted = { restart }
      this.log.error({ err: saveErr, container: rec.id.slice(0, 12) }, 'exit not committed; retrying')
      return
    }
    await this.afterCommit(e, restart)
  }

  /** What follows a committed exit: the run's clean-up, then its restart or auto-removal. */
  private async afterCommit (e: Entry, restart: boolean): Promise<void> {
    if (this.recovering) this.cleanupLater(e); else await this.cleanupRun(e.rec)
    if (restart) this.restartLater(e); else this.removeIfAuto(e)
  }

  /** Writes an exit that finishRun could only show; throws while the disk still refuses. */
  private async commitLater (e: Entry): Promise<void> {
    const pending = e.uncommitted
    if (pending === undefined || !this.entries.has(e.rec.id)) return
    await this.store.save(e.rec)
    e.uncommitted = undefined
    this.log.info({ container: e.rec.id.slice(0, 12), exitCode: e.rec.exitCode }, 'exit committed')
    await this.afterCommit(e, pending.restart)
  }

  /** Starts a restarting container once its back-off is over, unless a stop, kill or removal came first. */
  private restartLater (e: Entry): void {
    e.restartTimer = setTimeout(() => {
      e.restartTimer = undefined
      void this.serial(e, async () => {
        if (e.rec.status !== 'restarting' || !this.entries.has(e.rec.id)) return
        await this.startRun(e, false)
      }).catch(err => this.log.error({ err, container: e.rec.id.slice(0, 12) }, 'policy restart failed'))
    }, e.backoffMs)
  }

  /**
   * Docker's daemon start: every stopped container whose policy says so is
   * started (an ordinary start: its restart count starts over), once berthd
   * serves and after the clean-ups re-loading queued, a few at a time.
   */
  private startAfterRecovery (): void {
    for (const e of this.entries.values()) {
      const { id, status } = e.rec
      if (status !== 'exited' && status !== 'restarting' && status !== 'created') continue
      const go = restartAtStartup(policyOf(e.rec), {
        exitCode: e.rec.exitCode, manuallyStopped: e.rec.manuallyStopped === true, restartCount: e.rec.restartCount,
        startedBefore: e.rec.startedAt !== ZERO_TIME, pending: status === 'restarting'
      })
      if (!go && status !== 'restarting') continue
      void this.serial(e, async () => {
        await this.afterStartup
        // Started, stopped or removed through the API meanwhile.
        if (e.rec.status !== status || !this.entries.has(id)) return
        if (go) return await startupSlots.run(() => this.startRun(e, true))
        // A restart was pending, but its policy has been changed to no since.
        const next: ContainerRecord = { ...e.rec, status: 'exited' }
        await this.store.save(next)
        Object.assign(e.rec, next)
      }).catch(err => this.log.error({ err, container: id.slice(0, 12) }, 'start at berthd start-up failed'))
    }
  }

  /** Docker's AutoRemove (run --rm): queued behind whatever runs on the container now. */
  private removeIfAuto (e: Entry): void {
    if (e.rec.autoRemove !== true) return
    void this.afterStartup
      .then(() => this.remove(e.rec.id, true))
      .catch(err => { if (!hasCode(err, 'NOT_FOUND')) this.log.error({ err, container: e.rec.id }, 'auto-remove failed') })
  }

  /**
   * Queues a run's clean-up on the container, to start once berthd serves:
   * the exit is already committed, and any operation on the container waits
   * behind the clean-up. A few at a time, so they do not crowd start-up.
   */
  private cleanupLater (e: Entry): void {
    void this.serial(e, async () => {
      await this.afterStartup
      await cleanupSlots.run(() => this.cleanupRun(e.rec))
    }).catch(err => this.log.error({ err, container: e.rec.id }, 'clean-up after re-load failed'))
  }

  /** Periodic safety net: exit files whose event was missed, and monitors that died without one. */
  private async checkLiveness (): Promise<void> {
    let files: string[] = []
    try { files = await readdir(this.paths.exits) } catch {}
    for (const id of files) this.exitFileSeen(id)
    for (const e of this.entries.values()) {
      if (e.uncommitted !== undefined) void this.serial(e, () => this.commitLater(e)).catch(() => {})
      if (!hasMonitor(e.rec.status) || isAlive(e.rec.monitorPid, e.rec.monitorStart)) continue
      void this.serial(e, async () => {
        if (!hasMonitor(e.rec.status) || isAlive(e.rec.monitorPid, e.rec.monitorStart)) return
        const exit = await readExitFile(this.paths.exits, e.rec.id)
        if (exit !== undefined) return await this.commitExit(e)
        const alive = isAlive(e.rec.pid, e.rec.pidStart)
        const action = decideRecovery({ status: e.rec.status, exitCode: undefined, monitorAlive: false, containerAlive: alive })
        this.log.warn({ container: e.rec.id.slice(0, 12), action }, 'container monitor died')
        await this.applyExitAction(e, action)
      }).catch(err => this.log.error({ err }, 'liveness check failed'))
    }
  }

  private async applyExitAction (e: Entry, action: RecoveryAction): Promise<void> {
    if (action.kind !== 'exited') return
    if (action.killContainer && isAlive(e.rec.pid, e.rec.pidStart)) {
      try { process.kill(e.rec.pid, 'SIGKILL') } catch {}
    }
    await this.finishRun(e, action.code, new Date().toISOString(), action.error, false)
  }

  // ---- recovery ----------------------------------------------------------------

  /** Re-loads every record after a restart; one bad container never blocks the rest. */
  private async recover (): Promise<void> {
    const records = await this.store.loadAll(
      (id, reason) => this.log.error({ container: id, reason }, 'container record set aside'),
      async dir => { await unmountRootfs(rootfsPaths(dir)) })
    await Promise.all(records.map(async rec => {
      const e = newEntry(rec)
      const work = this.recoverOne(e)
      if (!await withTimeout(work, RECOVERY_LIMIT_MS)) {
        this.log.error({ container: rec.id }, 'container recovery timed out; loaded as recorded')
        this.adoptEntry(e)
      }
    }))
    await this.removeLeaks(new Set(records.map(r => r.id)))
  }

  private async recoverOne (e: Entry): Promise<void> {
    const rec = e.rec
    const exit = hasMonitor(rec.status) ? await readExitFile(this.paths.exits, rec.id) : undefined
    const action = decideRecovery({
      status: rec.status,
      exitCode: exit?.code,
      monitorAlive: isAlive(rec.monitorPid, rec.monitorStart),
      containerAlive: isAlive(rec.pid, rec.pidStart)
    })
    this.log.info({ container: rec.id.slice(0, 12), status: rec.status, action: action.kind }, 'container recovered')
    switch (action.kind) {
      case 'undo-create':
      case 'finish-remove':
        await this.undoCreate(rec)
        return
      case 'keep':
        // The exit was committed but berthd died before cleaning up after the run.
        this.adoptEntry(e)
        if (existsSync(join(this.paths.states, rec.id)) || existsSync(join(this.paths.exits, rec.id))) this.cleanupLater(e)
        return
      case 'adopt': {
        const rt = this.runtimes.get(rec.runtime)
        const status = rt?.quickState(rec.id, rec.pid) ?? (await rt?.state(rec.id).catch(() => undefined))?.status
        // berthd may have died between the runtime's answer and the record write: the runtime knows best.
        if ((status === 'running' || status === 'paused' || status === 'created') && status !== rec.status) {
          rec.status = status
          if (status === 'running' && rec.startedAt === ZERO_TIME) rec.startedAt = new Date().toISOString()
          await this.store.save(rec)
        }
        this.adoptEntry(e)
        return
      }
      case 'exited':
        this.adoptEntry(e)
        if (exit !== undefined) {
          await this.finishRun(e, exit.code, exit.at.toISOString(), '', wasOomKilled(join(this.paths.states, rec.id, 'bundle')))
        } else {
          await this.applyExitAction(e, action)
        }
    }
  }

  private adoptEntry (e: Entry): void {
    this.entries.set(e.rec.id, e)
    this.names.set(e.rec.name, e.rec.id)
  }

  /** State dirs and runtime state with no record: kill and clean. */
  private async removeLeaks (known: Set<string>): Promise<void> {
    const dirs = await readdir(this.paths.states).catch(() => [] as string[])
    for (const id of dirs.filter(d => !known.has(d))) {
      const stateDir = join(this.paths.states, id)
      killMonitor(await monitorFromPidFile(stateDir, id))
      this.log.warn({ container: id }, 'leaked container state removed')
      await rm(join(this.paths.sockets, id), { force: true })
      await rm(join(this.paths.exits, id), { force: true })
      await rm(stateDir, { recursive: true, force: true })
    }
    // Attach-socket links conmon left for containers and execs no record knows (an exec's record dies with berthd).
    const links = await readdir(this.paths.sockets).catch(() => [] as string[])
    for (const id of links.filter(l => !known.has(l))) await rm(join(this.paths.sockets, id), { force: true })
    for (const [name, rt] of this.runtimes) {
      const ids = await readdir(this.paths.runtimeRoot(name)).catch(() => [] as string[])
      for (const id of ids.filter(d => !known.has(d))) {
        this.log.warn({ container: id, runtime: name }, 'leaked runtime state removed')
        await rt.delete(id, true).catch(() => {})
      }
    }
  }

  /** Emits Docker's container event: the container's labels, image and name, then `extra`. */
  private event (rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    const image: Record<string, string> = rec.imageName !== undefined && rec.imageName !== '' ? { image: rec.imageName } : {}
    this.events?.emit({ Type: 'container', Action: action, Actor: { ID: rec.id, Attributes: { ...rec.labels, ...image, name: rec.name, ...extra } } })
  }

  private execEvent (exec: ExecRecord, action: string, extra: Record<string, string> = {}): void {
    const rec = this.entries.get(exec.containerId)?.rec
    if (rec !== undefined) this.event(rec, action, { execID: exec.id, ...extra })
  }

  /** Runs `fn` after every earlier operation on the same container. */
  private serial<T> (e: Entry, fn: () => Promise<T>): Promise<T> {
    const run = e.queue.then(fn, fn)
    e.queue = run.catch(() => {})
    return run
  }

  // ---- cp / export / commit ------------------------------------------------------

  /**
   * The dir holding the container's root filesystem: an image container's
   * overlay (mounted again if a reboot took it away), or a bundle's rootfs.
   */
  private async rootOf (e: Entry): Promise<string> {
    const rec = e.rec
    if (rec.layerDirs === undefined) {
      const spec = await readBundle(rec.bundle)
      return await realpath(resolve(rec.bundle, spec.root?.path ?? 'rootfs'))
    }
    const paths = rootfsPaths(this.store.containerDir(rec.id))
    if (!await isMounted(paths.merged)) {
      // In the container's queue, so that it cannot race a start's mount or a removal's unmount.
      await this.serial(e, async () => {
        if (!this.entries.has(rec.id)) throw noSuchContainer(rec.id)
        await mountRootfs(rec.layerDirs!, paths)
      })
    }
    return paths.merged
  }

  /** What docker cp works on: the rootfs, and the bind mounts of the container's spec (volumes, /etc/hostname, ...). */
  private async copyTarget (e: Entry, ref: string): Promise<CopyTarget> {
    const root = await this.rootOf(e)
    return { root, binds: bindsOf((await readBundle(e.rec.bundle)).mounts), container: ref }
  }

  /** docker cp's stat (HEAD archive): `path` resolved in the container's rootfs, its last symlink not followed. */
  async statPath (ref: string, path: string): Promise<PathStat> {
    return await statPath(await this.copyTarget(this.entryOf(ref), ref), path)
  }

  /** docker cp out of the container: the stat of `path` and a tar of it. Running or not. */
  async archivePath (ref: string, path: string): Promise<{ stat: PathStat, tar: Readable }> {
    const e = this.entryOf(ref)
    const out = await archivePath(await this.copyTarget(e, ref), path)
    this.event(e.rec, 'archive-path')
    return out
  }

  /**
   * docker cp into the container: the tar `input` extracted into the dir
   * `path`. 403 for a bundle's rootfs (berth never writes to a bundle) and
   * for ReadonlyRootfs, as Docker refuses it. With `copyUIDGID`, everything
   * is owned by the container's user (moby's tarCopyOptions).
   */
  async extractToDir (ref: string, path: string, input: Readable, opts: { noOverwriteDirNonDir: boolean, copyUIDGID: boolean }): Promise<void> {
    const e = this.entryOf(ref)
    const rec = e.rec
    if (rec.layerDirs === undefined) throw forbidden(`container ${rec.name} runs from an OCI bundle, whose rootfs berth never writes to`)
    if ((rec.createBody as { HostConfig?: { ReadonlyRootfs?: boolean } } | undefined)?.HostConfig?.ReadonlyRootfs === true) throw forbidden('container rootfs is marked read-only')
    await extractToDir(await this.copyTarget(e, ref), path, input, { noOverwriteDirNonDir: opts.noOverwriteDirNonDir, ...(opts.copyUIDGID ? { user: rec.user } : {}) })
    this.event(rec, 'extract-to-dir')
  }

  /** docker export: a tar of the container's whole root filesystem. */
  async exportContainer (ref: string): Promise<Readable> {
    const e = this.entryOf(ref)
    const tar = await exportRootfs(await this.rootOf(e))
    this.event(e.rec, 'export')
    return tar
  }

  /**
   * docker commit: the container's overlay upper dir becomes a layer on top
   * of its image's, under the container's config with `changes` applied. A
   * running container is frozen meanwhile when `pause` (Docker's default), so
   * that the layer is one moment's state.
   */
  async commit (ref: string, opts: { repo?: string, tag?: string, comment?: string, author?: string, pause: boolean, changes: string[], config?: CommitConfig | null }): Promise<ImageRecord> {
    const e = this.entryOf(ref)
    const tags = opts.repo !== undefined && opts.repo !== '' ? [parseRepoTag(opts.repo, opts.tag)] : []
    return await this.serial(e, async () => {
      const rec = e.rec
      if (!this.entries.has(rec.id)) throw noSuchContainer(ref)
      if (rec.layerDirs === undefined || rec.image === undefined) throw invalid(`container ${rec.name} runs from an OCI bundle, not an image: there is no layer to commit`)
      const parent = this.images.resolve(rec.image)
      const config = commitConfig(containerConfig(parent.config, (rec.createBody ?? {}) as DockerCreateBody), opts.config, changeLines(opts.changes))
      // The runtime's mount points (an empty /etc/hostname, /proc, ...) are not the container's changes.
      const spec = await readBundle(rec.bundle)
      const exclude = ((spec.mounts ?? []) as Array<{ destination?: unknown }>).map(m => String(m.destination ?? ''))
      const freeze = opts.pause && rec.status === 'running'
      if (freeze) await this.runtimeOf(rec).pause(rec.id)
      let image: ImageRecord
      try {
        const diff = await layerDiff(rootfsPaths(this.store.containerDir(rec.id)).upper, exclude)
        image = await this.images.commitContainer(diff, {
          parent, config, tags, container: rec.id, createdBy: (rec.cmd ?? [rec.path, ...rec.args]).join(' '),
          ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
          ...(opts.author !== undefined ? { author: opts.author } : {})
        })
      } finally {
        if (freeze) await this.runtimeOf(rec).resume(rec.id).catch((err: unknown) => this.log.error({ err, container: rec.id.slice(0, 12) }, 'resume after commit failed'))
      }
      this.log.info({ container: rec.id.slice(0, 12), image: image.id }, 'container committed')
      this.event(rec, 'commit', { comment: opts.comment ?? '', imageID: image.id, imageRef: tags[0] !== undefined ? familiarKey(refKey(tags[0])) : '' })
      return image
    })
  }

  // ---- stats / top / rename / update / prune -------------------------------------

  /** The cgroup of a running (or paused) container's init process; undefined when it runs no more. */
  private async cgroupOfRunning (rec: ContainerRecord): Promise<CgroupPaths | undefined> {
    if (!isRunning(rec.status) || !isAlive(rec.pid, rec.pidStart)) return undefined
    return await cgroupOf(rec.pid)
  }

  /** One sample of the container's cgroup counters; no sample when it is not running. */
  async statsSample (ref: string): Promise<{ rec: ContainerRecord, sample?: RawSample }> {
    const rec = this.resolve(ref)
    const paths = await this.cgroupOfRunning(rec)
    return paths === undefined ? { rec } : { rec, sample: await readSample(paths) }
  }

  /** Docker's top: `ps <psArgs>` on the host, cut to the processes in the container's cgroup. 409 unless running. */
  async top (ref: string, psArgs: string): Promise<{ Titles: string[], Processes: string[][] }> {
    const rec = this.resolve(ref)
    const paths = await this.cgroupOfRunning(rec)
    if (paths === undefined) throw conflict(`container ${rec.id} is not running`)
    const pids = await cgroupPids(paths)
    const r = await execa('ps', psArgs.split(/\s+/).filter(Boolean), { reject: false, timeout: 30_000, stdin: 'ignore' })
    if (r.exitCode !== 0) throw invalid(`Error running ps: ${r.stderr.trim() || `exit status ${String(r.exitCode)}`}`)
    try {
      return filterPs(r.stdout, pids)
    } catch (err) {
      // The client's ps_args decide the columns (`--help all` prints none).
      throw invalid(`${(err as Error).message}: ps_args must keep the PID column`)
    }
  }

  /** Docker's rename: the new name is checked as at create, and the record re-saved. */
  async rename (ref: string, asked: string): Promise<void> {
    const e = this.entryOf(ref)
    if (asked === '') throw invalid('Neither old nor new names may be empty')
    const name = normalizeName(asked)
    await this.serial(e, async () => {
      const old = e.rec.name
      if (name === old) throw invalid('Renaming a container with the same name as its current name')
      if (this.nameTaken(name)) throw nameInUse(name, this.names.get(name))
      // Held while the record is written, so that no create takes the name meanwhile.
      this.reserved.add(name)
      try {
        await this.store.save({ ...e.rec, name })
      } finally {
        this.reserved.delete(name)
      }
      e.rec.name = name
      this.names.delete(old)
      this.names.set(name, e.rec.id)
      this.log.info({ container: e.rec.id.slice(0, 12), from: old, to: name }, 'container renamed')
      this.event(e.rec, 'rename', { oldName: `/${old}` })
    })
  }

  /**
   * Docker's update: new cgroup limits for a running container through the
   * runtime, kept in its HostConfig (inspect) and its bundle (the next run);
   * a new restart policy applies from its next exit.
   */
  async update (ref: string, body: UpdateBody): Promise<void> {
    const e = this.entryOf(ref)
    await this.serial(e, async () => {
      const rec = e.rec
      const created = rec.createBody as { HostConfig?: Record<string, unknown> } | undefined
      const { hostConfig, resources, restartPolicy } = applyUpdate(created?.HostConfig ?? {}, body)
      if (isRunning(rec.status) && Object.keys(resources).length > 0) await this.runtimeOf(rec).update(rec.id, resources)
      // Only image containers have a bundle of berth's own (a user's bundle is never written).
      if (created === undefined && restartPolicy === undefined) return
      const next: ContainerRecord = { ...rec, ...(restartPolicy !== undefined ? { restartPolicy } : {}) }
      if (created !== undefined) {
        const specPath = join(rec.bundle, 'config.json')
        const spec = parseSpecJson(await readFile(specPath, 'utf8')) as { linux?: { resources?: Record<string, unknown> } }
        spec.linux = { ...spec.linux, resources: { ...spec.linux?.resources, ...resources } }
        await writeFileAtomic(specPath, specJson(spec))
        next.createBody = { ...created, HostConfig: hostConfig }
      }
      await this.store.save(next)
      Object.assign(rec, next)
    })
  }

  /** Docker's sizes (`size=1`): the bytes in the container's own layer, and those plus its image's. */
  async sizes (rec: ContainerRecord): Promise<{ SizeRw: number, SizeRootFs: number }> {
    const rw = rec.layerDirs === undefined ? 0 : await treeSize(rootfsPaths(this.store.containerDir(rec.id)).upper)
    let image = 0
    if (rec.image !== undefined) { try { image = this.images.resolve(rec.image).size } catch {} }
    return { SizeRw: rw, SizeRootFs: rw + image }
  }

  /** Docker's container prune: removes every container that is not running and passes `filters` (label, label!, until). */
  async prune (filters: Filters, until?: number): Promise<{ ContainersDeleted: string[], SpaceReclaimed: number }> {
    const hasLabel = (rec: ContainerRecord, label: string): boolean => matches(rec, new Map([['label', [label]]]))
    const chosen = [...this.entries.values()].map(e => e.rec).filter(rec =>
      (rec.status === 'created' || rec.status === 'exited') &&
      (filters.get('label') ?? []).every(l => hasLabel(rec, l)) &&
      !(filters.get('label!') ?? []).some(l => hasLabel(rec, l)) &&
      (until === undefined || Date.parse(rec.created) < until))
    const deleted: string[] = []
    let space = 0
    for (const rec of chosen) {
      const size = await treeSize(rootfsPaths(this.store.containerDir(rec.id)).upper)
      try {
        await this.remove(rec.id, false)
      } catch (err) {
        this.log.info({ err, container: rec.id.slice(0, 12) }, 'prune skipped a container')
        continue
      }
      deleted.push(rec.id)
      space += size
    }
    return { ContainersDeleted: deleted, SpaceReclaimed: space }
  }
}

/** The parts of an OCI runtime-spec config.json berth reads. */
interface OciSpec {
  process?: { terminal?: boolean, args?: string[], env?: string[], cwd?: string, user?: { uid?: number, gid?: number }, consoleSize?: { height: number, width: number } }
  root?: { path?: string, readonly?: boolean }
  hostname?: string
  [k: string]: unknown
}

/** Reads and checks `<bundle>/config.json`; every problem is a 400 that names it. */
async function readBundle (bundle: string): Promise<OciSpec> {
  if (!isAbsolute(bundle)) throw invalid(`bundle path must be absolute: ${bundle}`)
  const text = await readFile(join(bundle, 'config.json'), 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw invalid(`bundle ${bundle} has no readable config.json (${err.code ?? err.message})`)
  })
  let spec: OciSpec
  try {
    spec = parseSpecJson(text) as OciSpec
  } catch (err) {
    throw invalid(`bundle ${bundle}: config.json does not parse: ${(err as Error).message}`)
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw invalid(`bundle ${bundle}: config.json is not an object`)
  if (!Array.isArray(spec.process?.args) || spec.process.args.length === 0) throw invalid(`bundle ${bundle}: config.json has no process.args`)
  checkSpecPaths(spec)
  return spec
}

/** A terminal size a client may ask for: whole numbers, 1 to MAX_TERMINAL. */
function checkSize (height: number, width: number): void {
  for (const [what, v] of [['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_TERMINAL) throw invalid(`invalid terminal ${what} ${String(v)}: must be a whole number from 1 to ${MAX_TERMINAL}`)
  }
}

/** At most `n` tasks at once. */
class Slots {
  private active = 0
  private readonly waiting: Array<() => void> = []
  constructor (private readonly n: number) {}
  async run<T> (task: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the next waiter.
    if (this.active >= this.n) await new Promise<void>(resolve => this.waiting.push(resolve)); else this.active++
    try {
      return await task()
    } finally {
      const next = this.waiting.shift()
      if (next !== undefined) next(); else this.active--
    }
  }
}
const cleanupSlots = new Slots(4)
const startupSlots = new Slots(4)

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** Docker's 409 for a name another container has. */
const nameInUse = (name: string, other: string | undefined): BerthError =>
  conflict(`Conflict. The container name "/${name}" is already in use by container "${other ?? ''}". You have to remove (or rename) that container to be able to reuse that name.`)

/**
 * Bytes in the files under `dir` (what removing it frees); 0 when it is gone.
 * lstat, never stat: a running container may swap a dir for a symlink to the host's.
 */
async function treeSize (dir: string): Promise<number> {
  let total = 0
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  for (const d of entries) {
    if (d.isFile()) total += await lstat(join(d.parentPath, d.name)).then(s => s.isFile() ? s.size : 0, () => 0)
  }
  return total
}

/** Resolves true if `p` settles within `ms`, false otherwise. */
async function withTimeout (p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const t = new Promise<boolean>(resolve => { timer = setTimeout(() => resolve(false), ms) })
  try {
    return await Promise.race([p.then(() => true, () => true), t])
  } finally {
    clearTimeout(timer)
  }
}
