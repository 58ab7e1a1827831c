/**
 * The container manager: the API's verbs and their checks, one operation at
 * a time per container (ContainerTable's queue). Operations go refresh →
 * check → act → persist. What happens when a run ends is the Supervisor's
 * (an exit code reaches the record before any waiter hears of it; on a full
 * disk it is shown from memory at once and written when the disk allows; a
 * run's state dir is removed only after that); making a container and
 * launching its runs is the Creator's; the monitor side of a run is
 * MonitorRuns'; the paths are Layout's.
 */
import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { basename } from 'node:path'
import type { Logger } from 'pino'
import { withTimeout } from '../async.js'
import type { Config } from '../config.js'
import { conflict, hasCode, invalid, noSuchContainer, notModified, runtimeFailed, BerthError } from '../errors.js'
import type { EventBus } from '../events/bus.js'
import type { ImageStore } from '../images/store.js'
import type { ImageUser } from '../images/removal.js'
import type { DaemonSeccomp } from '../security/seccomp.js'
import { checkNoCgroupLimits } from '../security/rootless.js'
import { PortDriver } from '../networks/portdriver.js'
import type { RemapLayers } from '../images/remap-layers.js'
import { remapOwner } from './remap.js'
import { Runtime } from '../runtime/runtime.js'
import { Networks } from '../networks/service.js'
import { MonitorRuns } from '../shims/runs.js'
import { ensureDir, hideTree } from '../store/atomic.js'
import { Layout, rootfsPaths } from '../store/layout.js'
import { RecordStore, ZERO_TIME, type ContainerRecord } from '../store/records.js'
import { bundleFields, readBundle } from './bundle.js'
import { sampleOf, topOf, type RawSample } from './cgroupstats.js'
import { Creator } from './creator.js'
import { checkCreateBody, type DockerCreateBody } from './dockerspec.js'
import { ContainerFiles } from './files.js'
import { ContainerSettings } from './settings.js'
import { Interactive } from './interactive.js'
import { checkPorts, Networking } from './networking.js'
import { type FilterRefs, type Filters } from './filters.js'
import { prepareImageBundle } from './from-image.js'
import { monitorIn, type HealthMonitor } from './healthcheck.js'
import { parseRestartPolicy, type AskedPolicy } from './restart.js'
import { mountRootfs, unmountRootfs } from './rootfs.js'
import { signalNumber } from './signals.js'
import { canKill, canPause, canUnpause, hasMonitor, isNotRunning, isRestarting, isRunning, isUp, needsNewRun, removeNeedsForce } from './state.js'
import { Supervisor } from './supervisor.js'
import { ContainerTable, type Entry, type WaitCondition, type Waiter } from './table.js'
import { dropVolumes, volumeEvents, volumeNames } from './volume-mounts.js'
import { containerEvent, logPolicyOf } from './view.js'
import { VolumeStore } from '../volumes/store.js'

export type { WaitCondition } from './table.js'

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
  /** The seccomp profiles berthd read at start-up, for Docker-style containers. */
  seccomp: DaemonSeccomp
  /** Rootless: rootlesskit's API socket, whose port driver publishes ports on the host. */
  portDriver?: string
  /** With --userns-remap: the user namespace and its shifted image layers. */
  remap?: RemapLayers
}

/** Owns all containers of one berthd. */
export class ContainerManager {
  private readonly table = new ContainerTable()
  private readonly runtimes = new Map<string, Runtime>()
  private readonly store: RecordStore
  private readonly runs: MonitorRuns
  private readonly supervisor: Supervisor
  private readonly creator: Creator
  readonly layout: Layout
  /** Attach, resize and exec. */
  readonly interactive: Interactive
  /** docker cp, export and commit. */
  readonly files: ContainerFiles
  /** rename, update, sizes, prune. */
  readonly settings: ContainerSettings
  /** The volumes; their users are read from the container records. */
  readonly volumes: VolumeStore
  /** The network store and the leases (the API's network routes use it). */
  readonly networks: Networks
  /** Each container's networking at launch, and its NetworkSettings. */
  readonly networking: Networking
  /** Healthchecks: probes, State.Health and its file. */ readonly health: HealthMonitor
  /** "1" or "2": the cgroup hierarchy containers get (hybrid hosts count as 1). */
  readonly cgroupVersion = existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1'

  private readonly events: EventBus | undefined
  /** What Docker-style containers are confined with (bundle containers keep their own config.json's). */
  readonly seccomp: DaemonSeccomp
  /** With --userns-remap: the user namespace image containers get, and its layer copies. */
  readonly remap: RemapLayers | undefined

  constructor (readonly config: Readonly<Config>, private readonly log: Logger, readonly images: ImageStore, opts: ManagerOptions) {
    this.events = opts.events
    this.seccomp = opts.seccomp
    this.remap = opts.remap
    const layout = this.layout = new Layout(config.root, config.state)
    this.store = new RecordStore(layout.records)
    this.volumes = new VolumeStore(layout.volumes, log.child({ component: 'volumes' }), { usersOf: name => this.volumeUsers(name), events: opts.events, ...remapOwner(opts.remap) })
    for (const rt of Object.values(config.runtimes)) {
      this.runtimes.set(rt.name, new Runtime({ name: rt.name, path: rt.path, root: layout.runtimeRoot(rt.name), extraArgs: config.runtimeArgs, noCgroups: config.rootless }))
    }
    this.runs = new MonitorRuns(layout, this.runtimes, { conmon: config.conmon, logSizeMax: config.logSizeMax, createTimeoutMs: config.createTimeout * 1000 }, log)
    this.networks = new Networks({ root: config.root, dirs: layout.networks, ...(config.bridgeSubnet !== '' ? { bridgeSubnet: config.bridgeSubnet } : {}), ...(opts.portDriver !== undefined ? { portDriver: new PortDriver(opts.portDriver) } : {}), log, ...(opts.events !== undefined ? { events: opts.events } : {}), cleanups: async () => { await this.table.settled() } })
    // A run's networking goes with the run, wherever its end is cleaned up (in the background: networks/service.ts).
    this.runs.releaseWith = async id => { this.networks.release(id) }
    this.networking = new Networking({
      networks: this.networks, layout, container: ref => this.resolve(ref),
      exposedPorts: rec => { try { return this.images.resolve(rec.image ?? '').config.ExposedPorts ?? {} } catch { return {} } },
      update: async (ref, fn) => {
        const e = this.table.get(ref)
        await this.table.serial(e, async () => {
          const next = { ...e.rec, ...await fn(e.rec) }
          await this.store.save(next)
          Object.assign(e.rec, next)
        })
      }
    })
    const event = this.event.bind(this)
    this.creator = new Creator({ table: this.table, store: this.store, runs: this.runs, layout, volumes: this.volumes, networking: this.networking, runtimeOf: rec => this.runtimeOf(rec), event, log })
    this.supervisor = new Supervisor({
      table: this.table, store: this.store, runs: this.runs, event, log,
      host: { startRun: (e, manual) => this.startRun(e, manual), remove: (id, force) => this.remove(id, force, true), undoCreate: rec => this.creator.undo(rec) }
    })
    this.interactive = new Interactive({ table: this.table, runs: this.runs, layout, conmon: config.conmon, runtimeOf: rec => this.runtimeOf(rec), event, log })
    this.health = monitorIn(layout.records, { event, log: log.child({ component: 'health' }), probe: (rec, cmd, ms) => this.interactive.probe(rec.id, cmd, ms), restart: id => this.restart(id) })
    this.files = new ContainerFiles({ table: this.table, layout, images, runtimeOf: rec => this.runtimeOf(rec), event, log })
    this.settings = new ContainerSettings({ table: this.table, layout, images, store: this.store, noCgroups: config.rootless, runtimeOf: rec => this.runtimeOf(rec), event, log, remove: async id => { await this.remove(id, false) } })
  }

  /** Makes the dirs, re-loads every container from disk, and starts watching for exits. */
  async init (): Promise<void> {
    await this.runs.prepare()
    await this.networks.init()
    await ensureDir(this.layout.records)
    await this.volumes.init()
    await this.supervisor.start(() => this.store.loadAll(
      (id, reason) => this.log.error({ container: id, reason }, 'container record set aside'),
      async dir => { await unmountRootfs(rootfsPaths(dir)) }))
    // A DriverOpts mount whose last user went while berthd was down.
    await this.volumes.releaseUnused()
    // Logs that rotate are watched again; one bad record is logged, never a reason not to start.
    for (const e of this.table.all()) {
      if (!hasMonitor(e.rec)) continue
      try { this.runs.watchLog(e.rec.id, logPolicyOf(e.rec)) } catch (err) { this.log.warn({ err, container: e.rec.id }, 'log config unreadable; the log is not rotated') }
    }
    await this.health.reloadAll(this.table.list()) // health states back, running containers' probes re-armed
    // Networking of runs that ended while berthd was down (or that it died setting up) is torn down.
    await this.networks.reconcile(this.hasRun)
  }

  private readonly hasRun = (id: string): boolean => { const e = this.table.byId(id); return e !== undefined && hasMonitor(e.rec) }

  /** POST /networks/reconcile: the running containers' networking the host lost, set up again; their ids. */
  async repairNetworks (): Promise<string[]> { return await this.networks.repair(this.hasRun) }

  /** Called once berthd serves: the clean-ups re-loading found (runtime state of runs that ended while it was down) begin. */
  serving (): void { this.supervisor.serving() }

  /** Stops watching. Containers and their monitors keep running; pending restarts happen when berthd starts again. */
  close (): void { this.supervisor.close(); this.runs.close(); this.health.close() }

  /** A container made from image `imageId`, if any (the image store refuses to delete it). */
  imageUser (imageId: string): ImageUser | undefined { return this.table.imageUser(imageId) }

  /** Ids of the containers whose records mount volume `name`. */
  volumeUsers (name: string): string[] {
    return this.table.list().filter(r => r.volumes?.some(v => v.Name === name) === true).map(r => r.id)
  }

  /** Runtime names clients may ask for. */
  runtimeNames (): string[] { return [...this.runtimes.keys()] }
  runtime (name: string): Runtime | undefined { return this.runtimes.get(name) }

  // ---- lookups ------------------------------------------------------------

  /** Docker's order: exact id, exact name (with or without "/"), unique id prefix. */
  resolve (ref: string): ContainerRecord { return this.table.get(ref).rec }

  /** Every container's record, newest first. */
  list (): ContainerRecord[] { return this.table.list() }

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
  logPath (id: string): string { return this.layout.logPath(id) }

  /** False when the container's log driver keeps nothing to read back (`none`). */
  logReadable (rec: ContainerRecord): boolean { return logPolicyOf(rec).readable }

  // ---- create ---------------------------------------------------------------

  /** Creates a container from an OCI bundle; on any failure, nothing it made is left. */
  async create (req: CreateRequest): Promise<string> {
    const runtime = this.runtimeNamed(req.runtime)
    const restartPolicy = parseRestartPolicy(req.restartPolicy)
    const spec = await readBundle(req.bundle)
    const { terminal, ...fields } = bundleFields(spec)
    return await this.creator.make(req.name, runtime, async () => ({
      spec,
      fields: {
        ...fields,
        restartPolicy,
        bundle: req.bundle,
        labels: req.labels ?? {},
        tty: req.tty ?? terminal,
        openStdin: req.openStdin ?? false,
        stdinOnce: req.stdinOnce ?? false,
        ...(req.consoleSize !== undefined ? { consoleSize: req.consoleSize } : {})
      }
    }))
  }

  /**
   * Docker's create: an image and Docker's body. Mounts the image's layers
   * as the container's rootfs, writes its /etc files and the OCI spec into a
   * bundle in its dir, and creates it from there. Every field berth cannot
   * honour is refused, naming it.
   */
  async createFromImage (body: DockerCreateBody, name: string | undefined): Promise<string> {
    const host = body.HostConfig ?? {}
    const runtime = this.runtimeNamed(host.Runtime !== undefined && host.Runtime !== null && host.Runtime !== '' ? host.Runtime : undefined)
    const binary = basename(runtime.opts.path)
    checkCreateBody(body, binary)
    if (this.config.rootless) checkNoCgroupLimits(host)
    checkPorts(body)
    this.networking.checkCreate(body)
    const image = this.images.resolve(body.Image ?? '')
    const volumes = { store: this.volumes, container: (ref: string) => this.resolve(ref) }
    return await this.creator.make(name, runtime, id => prepareImageBundle({ id, body, image, layout: this.layout, init: this.config.init, runtime: binary, volumes, seccomp: this.seccomp, rootless: this.config.rootless, remap: this.remap }), { runLater: true })
  }

  private runtimeNamed (name: string | undefined): Runtime {
    const runtime = this.runtimes.get(name ?? this.config.defaultRuntime)
    if (runtime === undefined) throw invalid(`unknown or invalid runtime name: ${String(name)}`)
    return runtime
  }

  private runtimeOf (rec: ContainerRecord): Runtime {
    const rt = this.runtimes.get(rec.runtime)
    if (rt === undefined) throw runtimeFailed(`runtime ${rec.runtime} is not configured in this berthd`)
    return rt
  }

  // ---- start / kill / stop ---------------------------------------------------

  /** Starts a created container, or runs an exited one again. 304 if it is running or restarting. */
  async start (ref: string): Promise<void> {
    const e = this.table.get(ref)
    await this.table.serial(e, async () => {
      if (isUp(e.rec.status)) throw notModified('container already started')
      await this.startRun(e, true)
    })
  }

  /**
   * Starts the container's next run: a new monitor unless it has a created
   * one. A start through the API (`manual`) starts the restart count and
   * back-off over, as Docker's does; a policy restart keeps them.
   */
  private async startRun (e: Entry, manual: boolean): Promise<void> {
    // The last run's end goes on record (and its state away) before a new run starts.
    await this.supervisor.commitLater(e)
    const rec = e.rec
    if (needsNewRun(rec)) {
      // Only in memory: on disk the container stays exited (restarting, unlaunched) until it runs, so
      // a crash here leaves a stopped container whose new monitor start-up cleans away.
      rec.status = 'creating'
      try {
        // A reboot may have taken the overlay away.
        if (rec.layerDirs !== undefined) await mountRootfs(rec.layerDirs, this.layout.rootfs(rec.id))
        for (const v of volumeNames(rec)) await this.volumes.ready(v)
        await this.creator.launch(rec)
      } catch (err) {
        throw await this.supervisor.startFailed(e, err)
      }
      rec.status = 'created'
      await this.store.save(rec)
    }
    this.interactive.connectPending(e)
    const startedAt = new Date().toISOString()
    try {
      await this.runtimeOf(rec).start(rec.id)
    } catch (err) {
      throw await this.supervisor.startFailed(e, err)
    }
    const restarts = manual ? { restartCount: 0 } : {}
    Object.assign(rec, { status: 'running', startedAt, finishedAt: ZERO_TIME, exitCode: 0, error: '', oomKilled: false, manuallyStopped: false, ...restarts })
    await this.store.save(rec)
    if (manual) e.backoffMs = 0
    this.event(rec, 'start')
  }

  /**
   * Marks the container stopped through the API (Docker's
   * HasBeenManuallyStopped), which rules out a policy restart when it exits.
   * A restart waiting out its back-off is cancelled, leaving the container
   * exited: true then, and there is nothing left to signal.
   */
  private async stopAsked (e: Entry): Promise<boolean> {
    const rec = e.rec
    const restarting = isRestarting(rec.status)
    clearTimeout(e.restartTimer)
    e.restartTimer = undefined
    if (rec.manuallyStopped === true && !restarting) return false
    const next: ContainerRecord = { ...rec, manuallyStopped: true, ...(restarting ? { status: 'exited' as const } : {}) }
    await this.store.save(next)
    Object.assign(rec, next)
    if (restarting) {
      this.log.info({ container: rec.id.slice(0, 12) }, 'pending restart cancelled')
      this.table.notifyExit(e, rec.exitCode)
    }
    return restarting
  }

  /**
   * Sends a signal. 409 unless running; a restarting container's pending
   * restart is cancelled instead, as Docker does. A SIGKILL is answered only
   * once the exit is on record (moby daemon/kill.go: up to 10 s, then a
   * direct kill and 2 s more); any other signal at once.
   */
  async kill (ref: string, signal: string): Promise<void> {
    const e = this.table.get(ref)
    // Registered before the signal goes, so that the exit cannot pass unseen.
    const exited = this.table.nextExit(e)
    try {
      const signalled = await this.table.serial(e, async () => {
        if (e.rec.status === 'paused') throw conflict(`Container ${e.rec.id} is paused. Unpause the container before stopping or killing`)
        if (isRestarting(e.rec.status)) { await this.stopAsked(e); return false }
        if (!canKill(e.rec.status)) throw conflict(`Cannot kill container: ${ref}: Container ${e.rec.id} is not running`)
        await this.stopAsked(e)
        await this.runtimeOf(e.rec).kill(e.rec.id, signal).catch((err: unknown) => {
          // The process exited after the status was read: the runtime's refusal is Docker's 409.
          throw hasCode(err, 'CONFLICT') ? conflict(`Cannot kill container: ${ref}: ${(err as Error).message}`) : err
        })
        this.event(e.rec, 'kill', { signal: signalNumber(signal) })
        return true
      })
      if (signalled && signal === 'SIGKILL' && !await withTimeout(exited.promise, 10_000)) await this.killAll(e, exited, 2_000)
    } finally {
      exited.cancel()
    }
  }

  /** The last resort when a signal did not end the run: SIGKILL to every process of the container, then `ms` for its exit. */
  private async killAll (e: Entry, exited: Waiter, ms: number): Promise<void> {
    await this.table.serial(e, async () => {
      if (isRunning(e.rec.status)) await this.runtimeOf(e.rec).kill(e.rec.id, 'SIGKILL', true).catch(() => {})
    })
    if (!await withTimeout(exited.promise, ms)) throw runtimeFailed(`tried to kill container ${e.rec.id}, but did not receive an exit event`)
  }

  /** Freezes a running container (the runtime's cgroup freezer). */
  async pause (ref: string): Promise<void> {
    const e = this.table.get(ref)
    if (this.config.rootless) throw invalid('rootless berthd cannot pause containers: the freezer is a cgroup, and its containers get none')
    await this.table.serial(e, async () => {
      if (e.rec.status === 'paused') throw conflict(`container ${e.rec.id} is already paused`)
      if (!canPause(e.rec.status)) throw conflict(`Container ${e.rec.id} is not running`)
      await this.runtimeOf(e.rec).pause(e.rec.id)
      e.rec.status = 'paused'
      await this.store.save(e.rec)
      this.event(e.rec, 'pause')
    })
  }

  /** Thaws a paused container. */
  async unpause (ref: string): Promise<void> {
    const e = this.table.get(ref)
    await this.table.serial(e, async () => {
      if (!canUnpause(e.rec.status)) throw conflict(`container ${e.rec.id} is not paused`)
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
    const e = this.table.get(ref)
    const timeoutS = timeout ?? e.rec.stopTimeout ?? 10
    const signal = asked ?? e.rec.stopSignal ?? 'SIGTERM'
    const exited = this.table.nextExit(e)
    try {
      // False when only a pending restart was cancelled: nothing runs, nothing to wait for.
      const signalled = await this.table.serial(e, async () => {
        if (isRestarting(e.rec.status)) {
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
      else if (signalled && !await withTimeout(exited.promise, timeoutS * 1000)) await this.killAll(e, exited, 30_000)
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
    const e = this.table.get(ref)
    if (condition === 'removed') return this.table.removed(e)
    if (condition === 'not-running' && isNotRunning(e.rec.status)) return { promise: Promise.resolve(e.rec.exitCode), cancel: () => {} }
    return this.table.nextExit(e)
  }

  /**
   * Docker's remove: 409 if running without `force`; with it, SIGKILL first. `removeVolumes` (rm -v) removes its anonymous volumes too.
   * Answers once the removal is durable; the runtime's delete, the unmount and the dir's deletion go on in the background
   * (removeRest). Network and image removal and berthd's shutdown wait for them (settled()).
   */
  async remove (ref: string, force: boolean, removeVolumes = false): Promise<void> {
    const e = this.table.get(ref)
    const exited = this.table.nextExit(e)
    try {
      let waitForExit = false
      await this.table.serial(e, async () => {
        if (removeNeedsForce(e.rec.status)) {
          const state = isRestarting(e.rec.status) ? 'restarting' : 'running'
          if (!force) throw conflict(`cannot remove container "/${e.rec.name}": container is ${state}: stop the container before removing or force remove`)
          // Docker's force-remove kills, which rules out a restart; a pending one is cancelled.
          if (await this.stopAsked(e)) return
          if (e.rec.status === 'paused') await this.runtimeOf(e.rec).resume(e.rec.id).catch(() => {})
          await this.runtimeOf(e.rec).kill(e.rec.id, 'SIGKILL', true).catch(() => {})
          waitForExit = true
        }
      }, true)
      if (waitForExit) await withTimeout(exited.promise, 10_000)
    } finally {
      exited.cancel()
    }
    await this.table.serial(e, async () => {
      if (!this.table.has(e.rec.id)) throw noSuchContainer(ref)
      const rec = e.rec
      // The dir's rename to a dot-name is the one step that removes the container, and it writes
      // nothing, so a full disk cannot keep a container (or its space) from going. A crash after it
      // leaves a dot-dir the next start deletes and a run it cleans as leaked; a crash before it, the
      // container as if the DELETE had not come. It comes after the exit's record is written (the queue).
      const was = rec.status
      rec.status = 'removing'
      let hidden: string | undefined
      try {
        hidden = await hideTree(this.layout.containerDir(rec.id))
      } catch (err) {
        rec.status = was
        throw err
      }
      this.interactive.dropContainer(rec.id)
      this.table.drop(e)
      this.log.info({ container: rec.id.slice(0, 12) }, 'container removed')
      this.event(rec, 'destroy')
      void this.table.background(this.removeRest(e, was, hidden))
    }, true)
    await dropVolumes(this.volumes, e.rec, removeVolumes, this.log)
  }

  /** What a removal leaves to the background: the run (after its own clean-up, if that is still going), the rootfs, the hidden dir. */
  private async removeRest (e: Entry, was: string, hidden: string | undefined): Promise<void> {
    const rec = e.rec
    try {
      await e.cleanup
      // An exited container's run was cleaned up when its exit was committed (the state dir goes last).
      if (was !== 'exited' || this.runs.hasState(rec.id)) await this.runs.end(rec)
      if (hidden !== undefined) await unmountRootfs(rootfsPaths(hidden))
      if (hidden !== undefined) await rm(hidden, { recursive: true, force: true })
    } catch (err) {
      this.log.error({ err, container: rec.id.slice(0, 12) }, 'clean-up after removal failed; the next start finishes it')
    }
  }

  /** Waits for the clean-ups going on in the background (runs' ends, removals' rest) and the network teardowns they start. */
  async settled (): Promise<void> { await this.networks.settled() }

  // ---- events ------------------------------------------------------------------

  /** Emits Docker's container event; a start mounts the container's volumes and its end unmounts them, in Docker's events. */
  private event (rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    if (action === 'start' || action === 'die') volumeEvents(this.volumes, rec, action)
    this.events?.emit(containerEvent(rec, action, extra))
    this.health.onEvent(rec, action)
  }

  // ---- stats / top (rename, update, sizes and prune: settings.ts) ---------------

  /** One sample of the container's cgroup counters; no sample when it is not running or has no cgroup (rootless: zeros, not berthd's). */
  async statsSample (ref: string): Promise<{ rec: ContainerRecord, sample?: RawSample }> {
    const rec = this.resolve(ref)
    return this.config.rootless ? { rec } : { rec, ...await sampleOf(rec) }
  }

  /** Docker's top: `ps <psArgs>` on the host, cut to the container's processes. 409 unless running. */
  async top (ref: string, psArgs: string): Promise<{ Titles: string[], Processes: string[][] }> {
    return await topOf(this.resolve(ref), psArgs, this.config.rootless)
  }
}
