/**
 * Docker's `GET /system/df` (API 1.44's shape, moby's legacy
 * types.DiskUsage): the images with their shared size and the number of
 * containers using each, the containers with the bytes they wrote, and the
 * bytes of every stored layer, the volumes with their size and the number
 * of containers using each. berth has no build cache: an empty list. `types` (API 1.42) picks the parts; a part not asked for
 * is null, as Docker sends it.
 */
import { invalid } from '../errors.js'
import { imageSummary } from '../images/view.js'
import type { ImageStore } from '../images/store.js'
import type { ContainerRecord } from '../store/records.js'
import { volumeUsage, type VolumeStore } from '../volumes/view.js'
import { summary } from './view.js'

/** The object types `type` may name (moby DiskUsageObject). */
export const DISK_USAGE_TYPES = ['container', 'image', 'volume', 'build-cache'] as const

/** What df reads: the container manager's list, sizes and images. */
export interface DiskUsageSource {
  list: () => ContainerRecord[]
  readonly settings: { sizes: (rec: ContainerRecord) => Promise<{ SizeRw: number, SizeRootFs: number }> }
  readonly images: ImageStore
  readonly volumes: VolumeStore
}

/** The df document; `types` undefined means every part. */
export async function diskUsage (manager: DiskUsageSource, types?: string[]) {
  for (const t of types ?? []) if (!(DISK_USAGE_TYPES as readonly string[]).includes(t)) throw invalid(`unknown object type: ${t}`)
  const want = (t: typeof DISK_USAGE_TYPES[number]): boolean => types === undefined || types.includes(t)
  const recs = manager.list()
  const now = Date.now()
  let images = null
  let layersSize = 0
  if (want('image')) {
    const usage = manager.images.layerUsage()
    layersSize = usage.layersSize
    images = manager.images.list().map(img => ({
      ...imageSummary(img),
      SharedSize: usage.sharedSize(img),
      Containers: recs.filter(r => r.image === img.id).length
    }))
  }
  const containers = want('container') ? await Promise.all(recs.map(async r => ({ ...summary(r, now), ...await manager.settings.sizes(r) }))) : null
  return {
    LayersSize: layersSize,
    Images: images,
    Containers: containers,
    Volumes: want('volume') ? await volumeUsage(manager.volumes) : null,
    BuildCache: want('build-cache') ? [] : null
  }
}
