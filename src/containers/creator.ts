/**
 * The making of a container and of each run's monitor, once the manager has
 * checked the request: a unique name, a fresh id, the container's dir, the
 * bundle, the monitor; on any failure, nothing it made is left. Also the
 * launch of a later run (start of an exited container) and the undoing of
 * a create, which the supervisor asks for.
 */
import { conflict, hasCode, invalid } from '../errors.js'
import { programFault, type Runtime } from '../runtime/runtime.js'
import type { MonitorRuns } from '../shims/runs.js'
import { removeTree } from '../store/atomic.js'
import { RECORD_VERSION, ZERO_TIME, type ContainerRecord, type RecordStore } from '../store/records.js'
import type { VolumeStore } from '../volumes/store.js'
import { readBundle, runSpec, type OciSpec } from './bundle.js'
import { pidContainer, type DockerHostConfig } from './dockerspec.js'
import { generateName, newId, normalizeName } from './names.js'
import type { Networking } from './networking.js'
import { unmountRootfs } from './rootfs.js'
import { restoreDevNull } from './remap.js'
import { isRunning } from './state.js'
import { newEntry, type Entry } from './table.js'
import type { PartDeps } from './parts.js'
import { logPolicyOf } from './view.js'
import { volumeNames } from './volume-mounts.js'

/** What making containers needs from the manager. */
export interface CreatorDeps extends PartDeps {
  store: RecordStore
  runs: MonitorRuns
  volumes: VolumeStore
  networking: Networking
}

/** What a create's `prepare` gives: the spec, the record's fields, and the volumes it holds. */
export interface Prepared { spec: OciSpec, fields: Partial<ContainerRecord>, volumes?: { release: () => void, undo: () => Promise<void> } }

/** Makes containers and launches their runs. */
export class Creator {
  constructor (private readonly d: CreatorDeps) {}

  /**
   * The part of every create after the request is checked: a unique name, a
   * fresh id, the container's dir, `prepare` (which gives the spec and the
   * record's fields), then the monitor. On any failure nothing is left.
   *
   * With `runLater` (Docker's create, where nothing runs until the start), a
   * program the runtime cannot run does not fail the create: the container
   * is created unlaunched, and its start tries again and fails as Docker's
   * does (400, exit code 127 or 126), or runs it if the program is there by
   * then (docker cp). The bundle API keeps create as the runtime's create.
   */
  async make (asked: string | undefined, runtime: Runtime,
    prepare: (id: string) => Promise<Prepared>,
    opts: { runLater?: boolean } = {}): Promise<string> {
    const name = asked !== undefined && asked !== '' ? normalizeName(asked) : generateName(n => this.d.table.nameTaken(n))
    this.d.table.reserve(name)
    const id = newId()
    let rec: ContainerRecord = {
      version: RECORD_VERSION, id, name, created: new Date().toISOString(), bundle: '', runtime: runtime.opts.name,
      labels: {}, tty: false, openStdin: false, path: '', args: [], env: [], cwd: '/', hostname: '', user: '',
      status: 'creating', pid: 0, pidStart: 0, monitorPid: 0, monitorStart: 0, exitCode: 0, error: '',
      oomKilled: false, startedAt: ZERO_TIME, finishedAt: ZERO_TIME, restartCount: 0
    }
    const log = this.d.log.child({ container: id.slice(0, 12), name })
    let volumes: { release: () => void, undo: () => Promise<void> } | undefined
    try {
      // The first record is written once the monitor has reported: if berthd dies before that,
      // start-up finds a state dir and a container dir without a record, and removes both.
      const dir = await this.d.store.createDir(id)
      const prepared = await prepare(id)
      const { spec, fields } = prepared
      volumes = prepared.volumes
      rec = { ...rec, ...fields }
      await this.launch(rec, spec).catch(async (err: unknown) => {
        if (opts.runLater !== true || !hasCode(err, 'INVALID_ARGUMENT') || programFault((err as Error).message) === undefined) throw err
        // The first record says unlaunched, and is written after the run is gone: a crash before it leaves no record, which start-up cleans away.
        await this.d.runs.end(rec)
        rec.unlaunched = true
      })
      rec.status = 'created'
      await Promise.all([dir.synced, this.d.store.save(rec)])
    } catch (err) {
      log.info({ err }, 'create failed, undoing')
      await this.undo(rec)
      volumes?.release()
      await volumes?.undo()
      await this.d.volumes.release(volumeNames(rec))
      this.d.table.release(name)
      throw err
    }
    this.d.table.release(name)
    this.d.table.add(newEntry(rec))
    volumes?.release()
    log.info('container created')
    this.d.event(rec, 'create')
    return id
  }

  /** Launches a run's monitor from `spec` (the container's bundle, read again when not given). Fills in the pids. */
  async launch (rec: ContainerRecord, spec?: OciSpec): Promise<void> {
    const runtime = this.d.runtimeOf(rec)
    spec ??= await readBundle(rec.bundle)
    const donor = pidContainer(rec.createBody?.HostConfig as DockerHostConfig | undefined)
    if (donor !== undefined) spec = this.joinPidNamespace(donor, spec)
    const net = await this.d.networking.prepare(rec, spec)
    // The network's setup goes on while the monitor and the runtime create the container; both end before
    // the answer, and a run launched is on the record (its pids) before either's failure is thrown.
    const [launched, networked] = await Promise.allSettled([
      runSpec(rec, net.spec).then(s => this.d.runs.launch({ id: rec.id, name: rec.name, tty: rec.tty, openStdin: rec.openStdin, stdinOnce: rec.stdinOnce ?? false, log: logPolicyOf(rec) }, runtime, s)),
      net.ready
    ])
    if (launched.status === 'fulfilled') Object.assign(rec, launched.value)
    if (launched.status === 'rejected') throw launched.reason
    if (networked.status === 'rejected') throw networked.reason
    if (rec.userns !== undefined) await restoreDevNull()
    delete rec.unlaunched
  }

  /**
   * PidMode `container:<ref>`: this run joins the PID namespace of that
   * container, which must be running (moby getPIDContainer, with its
   * messages). Docker looks at start; berth's runtime create runs at create.
   */
  private joinPidNamespace (ref: string, spec: OciSpec): OciSpec {
    let donor: Entry
    try { donor = this.d.table.get(ref) } catch (err) { throw invalid(`failed to join PID namespace: ${(err as Error).message}`, err) }
    if (!isRunning(donor.rec.status)) throw conflict(`failed to join PID namespace: container ${ref} is not running`)
    const namespaces = (spec.linux?.namespaces ?? []).filter(n => n.type !== 'pid')
    return { ...spec, linux: { ...spec.linux, namespaces: [...namespaces, { type: 'pid', path: `/proc/${donor.rec.pid}/ns/pid` }] } }
  }

  /** Removes everything a create (or a start of an exited container) made. */
  async undo (rec: ContainerRecord): Promise<void> {
    await this.d.runs.end(rec)
    await this.removeContainerDir(rec.id)
  }

  /** Removes a container's dir in the root, unmounting its rootfs first. */
  private async removeContainerDir (id: string): Promise<void> {
    await unmountRootfs(this.d.layout.rootfs(id))
    await removeTree(this.d.layout.containerDir(id))
  }
}
