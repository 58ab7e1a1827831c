/**
 * What changes a container's settings or asks about its size, outside its
 * lifecycle: rename, update (cgroup limits and restart policy), sizes, and
 * container prune (which removes through the manager's own remove).
 */
import { invalid } from '../errors.js'
import type { ImageStore } from '../images/store.js'
import type { ContainerRecord, RecordStore } from '../store/records.js'
import { writeResources } from './bundle.js'
import { matches, type Filters } from './filters.js'
import { normalizeName } from './names.js'
import type { PartDeps } from './parts.js'
import { upperSize } from './rootfs.js'
import { canRemoveWithoutForce, isRunning } from './state.js'
import { applyUpdate, type UpdateBody } from './update.js'
import { checkNoCgroupLimits } from '../security/rootless.js'

export interface SettingsDeps extends PartDeps {
  store: RecordStore
  images: ImageStore
  /** Containers get no cgroups (rootless berthd): limits are refused. */
  noCgroups: boolean
  /** The manager's remove, without force: prune goes through every check a removal has. */
  remove: (id: string) => Promise<void>
}

export class ContainerSettings {
  constructor (private readonly d: SettingsDeps) {}

  /** Docker's rename: the new name is checked as at create, and the record re-saved. */
  async rename (ref: string, asked: string): Promise<void> {
    const { table, store, log, event } = this.d
    const e = table.get(ref)
    if (asked === '') throw invalid('Neither old nor new names may be empty')
    const name = normalizeName(asked)
    await table.serial(e, async () => {
      const old = e.rec.name
      if (name === old) throw invalid('Renaming a container with the same name as its current name')
      // Held while the record is written, so that no create takes the name meanwhile.
      table.reserve(name)
      try {
        await store.save({ ...e.rec, name })
      } finally {
        table.release(name)
      }
      e.rec.name = name
      table.renamed(e, old)
      log.info({ container: e.rec.id.slice(0, 12), from: old, to: name }, 'container renamed')
      event(e.rec, 'rename', { oldName: `/${old}` })
    })
  }

  /**
   * Docker's update: new cgroup limits for a running container through the
   * runtime, kept in its HostConfig (inspect) and its bundle (the next run);
   * a new restart policy applies from its next exit.
   */
  async update (ref: string, body: UpdateBody): Promise<void> {
    const e = this.d.table.get(ref)
    if (this.d.noCgroups) checkNoCgroupLimits(body)
    await this.d.table.serial(e, async () => {
      const rec = e.rec
      const created = rec.createBody as { HostConfig?: Record<string, unknown> } | undefined
      const { hostConfig, resources, restartPolicy } = applyUpdate(created?.HostConfig ?? {}, body)
      if (isRunning(rec.status) && Object.keys(resources).length > 0) await this.d.runtimeOf(rec).update(rec.id, resources)
      // Only image containers have a bundle of berth's own (a user's bundle is never written).
      if (created === undefined && restartPolicy === undefined) return
      const next: ContainerRecord = { ...rec, ...(restartPolicy !== undefined ? { restartPolicy } : {}) }
      if (created !== undefined) {
        await writeResources(rec.bundle, resources)
        next.createBody = { ...created, HostConfig: hostConfig }
      }
      await this.d.store.save(next)
      Object.assign(rec, next)
    })
  }

  /** Docker's sizes (`size=1`): the bytes in the container's own layer, and those plus its image's. */
  async sizes (rec: ContainerRecord): Promise<{ SizeRw: number, SizeRootFs: number }> {
    const rw = rec.layerDirs === undefined ? 0 : await upperSize(this.d.layout.rootfs(rec.id).upper)
    let image = 0
    if (rec.image !== undefined) { try { image = this.d.images.resolve(rec.image).size } catch {} }
    return { SizeRw: rw, SizeRootFs: rw + image }
  }

  /** Docker's container prune: removes every container that is not running and passes `filters` (label, label!, until). */
  async prune (filters: Filters, until?: number): Promise<{ ContainersDeleted: string[], SpaceReclaimed: number }> {
    const hasLabel = (rec: ContainerRecord, label: string): boolean => matches(rec, new Map([['label', [label]]]))
    const chosen = this.d.table.list().filter(rec =>
      canRemoveWithoutForce(rec.status) &&
      (filters.get('label') ?? []).every(l => hasLabel(rec, l)) &&
      !(filters.get('label!') ?? []).some(l => hasLabel(rec, l)) &&
      (until === undefined || Date.parse(rec.created) < until))
    const deleted: string[] = []
    let space = 0
    for (const rec of chosen) {
      const size = await upperSize(this.d.layout.rootfs(rec.id).upper)
      try {
        await this.d.remove(rec.id)
      } catch (err) {
        this.d.log.info({ err, container: rec.id.slice(0, 12) }, 'prune skipped a container')
        continue
      }
      deleted.push(rec.id)
      space += size
    }
    return { ContainersDeleted: deleted, SpaceReclaimed: space }
  }
}
