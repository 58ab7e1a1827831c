/** Docker's volume documents (moby api/types/volume.Volume) from berth's records. */
import { treeSize } from '../store/du.js'
import type { VolumeRecord, VolumeStore } from './store.js'

export type { VolumeStore } from './store.js'

/** Docker's CreatedAt: RFC 3339 to the second. */
const createdAt = (iso: string): string => iso.replace(/\.\d+Z$/, 'Z')

/** `GET /volumes/{name}` and a list entry. */
export function volumeView (store: VolumeStore, rec: VolumeRecord) {
  return {
    CreatedAt: createdAt(rec.createdAt),
    Driver: rec.driver,
    Labels: rec.labels,
    Mountpoint: store.mountpoint(rec.name),
    Name: rec.name,
    Options: Object.keys(rec.options).length > 0 ? rec.options : null,
    Scope: 'local'
  }
}

/**
 * `/system/df`'s volumes, with UsageData: the bytes in the volume's dir and
 * how many containers use it. A DriverOpts volume's files are the device's,
 * not berth's: its size is -1, as Docker reports what it cannot measure.
 */
export async function volumeUsage (store: VolumeStore) {
  return await Promise.all(store.list().map(async rec => ({
    ...volumeView(store, rec),
    UsageData: {
      Size: Object.keys(rec.options).length > 0 ? -1 : await treeSize(store.mountpoint(rec.name)),
      RefCount: store.usedBy(rec.name).length
    }
  })))
}
