/**
 * A container's volumes at create, as moby's registerMountPoints and
 * populateVolumes do it: VolumesFrom first (a donor's volumes and binds),
 * then the body's own Binds and Mounts (which win a destination), then an
 * anonymous volume for each Volumes path and image VOLUME nothing covers.
 * A missing named volume is created; an empty one gets the image's content
 * at its destination unless `nocopy`. What comes out is a bind per volume
 * for the spec, and the mount points the record keeps: the volumes' users
 * are read from those.
 */
import { randomBytes } from 'node:crypto'
import { closeSync, fstatSync } from 'node:fs'
import { chown, chmod, readdir } from 'node:fs/promises'
import type { Logger } from 'pino'
import { openDirInRoot } from '../sys/inroot.js'
import { runChild } from '../sys/spawn.js'
import { runtimeFailed } from '../errors.js'
import type { ContainerRecord, MountPointRecord } from '../store/records.js'
import { ANONYMOUS_LABEL, type VolumeStore } from '../volumes/store.js'
import { list, str, type DockerCreateBody, type DockerHostConfig } from './createbody.js'
import { anonymousVolumePaths, parseVolumesFrom } from './dockerspec.js'
import { bindMount, cleanPath, PROPAGATIONS, userMounts, type OciMount } from './mounts.js'

/** What attaching needs from the manager. */
export interface VolumeHost {
  store: VolumeStore
  /** The record of container `ref`, a VolumesFrom donor (404 when there is none). */
  container: (ref: string) => ContainerRecord
}

/** A container's volumes once attached. */
export interface AttachedVolumes {
  /** Binds of the volumes' dirs (and VolumesFrom binds), for the spec. */
  binds: OciMount[]
  /** What the record keeps (inspect's Mounts of type volume, and the volumes' users). */
  points: MountPointRecord[]
  /** Ends the create's hold on the volumes: call once the record is written, or the create undone. */
  release: () => void
  /** Removes the volumes this create made (anonymous, or named ones it created); after `release`, or they are in use. */
  undo: () => Promise<void>
}

interface Wanted { name: string, destination: string, rw: boolean, mode: string, noCopy: boolean, labels?: Record<string, string>, options?: Record<string, string> }

const modeOf = (m: OciMount): string => m.options.filter(o => o === 'ro' || o === 'nocopy').join(',')
const bindPoint = (m: OciMount): MountPointRecord => ({
  Type: 'bind', Source: m.source, Destination: m.destination, Mode: modeOf(m), RW: !m.options.includes('ro'), Propagation: m.options.find(o => PROPAGATIONS.includes(o)) ?? 'rprivate'
})

/** The donor's mount points: its volumes (VolumesFrom's too) and its own binds. */
function donorPoints (donor: ContainerRecord): MountPointRecord[] {
  const hc = (donor.createBody?.HostConfig ?? {}) as DockerHostConfig
  const binds = donor.createBody === undefined ? [] : userMounts(hc).filter(m => m.type === 'bind').map(bindPoint)
  return [...(donor.volumes ?? []), ...binds]
}

/** Attaches the volumes `body` and the image ask for; on failure nothing it made is left. */
export async function attachVolumes (host: VolumeHost, body: DockerCreateBody, imageVolumes: Record<string, object> | null | undefined, rootfs: string): Promise<AttachedVolumes> {
  const hc = body.HostConfig ?? {}
  const own = userMounts(hc)
  const byDest = new Map<string, MountPointRecord | Wanted>()
  for (const spec of list(hc.VolumesFrom)) {
    const { ref, mode } = parseVolumesFrom(spec)
    for (const p of donorPoints(host.container(ref))) byDest.set(p.Destination, mode === '' ? p : { ...p, RW: mode === 'rw', Mode: mode })
  }
  for (const m of own) {
    byDest.delete(m.destination)
    if (m.type !== 'volume') continue
    const asked = list(hc.Mounts).find(x => x.Type === 'volume' && cleanPath(str(x.Target)) === m.destination)
    byDest.set(m.destination, {
      name: m.source, destination: m.destination, rw: !m.options.includes('ro'), mode: m.source === '' ? '' : (modeOf(m) || 'z'), noCopy: m.options.includes('nocopy'),
      labels: asked?.VolumeOptions?.Labels ?? undefined, options: asked?.VolumeOptions?.DriverConfig?.Options ?? undefined
    })
  }
  const taken = new Set([...own.map(m => m.destination), ...byDest.keys()])
  for (const path of [...anonymousVolumePaths(body, own), ...Object.keys(imageVolumes ?? {})].map(cleanPath)) {
    if (!taken.has(path)) byDest.set(path, { name: '', destination: path, rw: true, mode: '', noCopy: false })
    taken.add(path)
  }

  const releases: Array<() => void> = []
  const made: string[] = []
  const release = (): void => { for (const r of releases.splice(0)) r() }
  const undo = async (): Promise<void> => {
    for (const name of made.splice(0)) await host.store.remove(name, true).catch(() => {})
  }
  const points: MountPointRecord[] = []
  try {
    for (const w of byDest.values()) {
      if ('Type' in w) {
        if (w.Type === 'volume') releases.push(host.store.hold(w.Name!))
        points.push(w.Type === 'volume' ? { ...w, Source: await host.store.ready(w.Name!) } : w)
        continue
      }
      const name = w.name !== '' ? w.name : randomBytes(32).toString('hex')
      releases.push(host.store.hold(name))
      if (!host.store.has(name)) {
        await host.store.create({ Name: name, Labels: w.name === '' ? { [ANONYMOUS_LABEL]: '' } : w.labels, DriverOpts: w.options })
        made.push(name)
      }
      const data = await host.store.ready(name)
      if (!w.noCopy) await copyImageContent(rootfs, w.destination, data)
      points.push({ Type: 'volume', Name: name, Source: data, Destination: w.destination, Driver: 'local', Mode: w.mode, RW: w.rw, Propagation: '' })
    }
  } catch (err) {
    release()
    await undo()
    await host.store.release(points.filter(p => p.Type === 'volume').map(p => p.Name!))
    throw err
  }
  const binds = points.map(p => bindMount(p.Source, p.Destination, !p.RW, p.Type === 'bind' ? p.Propagation : 'rprivate'))
  return { binds, points, release, undo }
}

/**
 * moby's copyExistingContents: an empty volume gets what the image has at
 * `destination` (resolved inside the rootfs, so a symlink there never leads
 * to the host), with that dir's owner and mode. Nothing there: nothing to do.
 */
async function copyImageContent (rootfs: string, destination: string, data: string): Promise<void> {
  if ((await readdir(data)).length > 0) return
  let fd: number | undefined
  try { fd = openDirInRoot(rootfs, destination) } catch { return }
  if (fd === undefined) return
  try {
    const src = `/proc/${process.pid}/fd/${fd}`
    const st = fstatSync(fd)
    const r = await runChild('/bin/cp', ['-a', '--', `${src}/.`, `${data}/`], { PATH: '/usr/bin:/bin' }, 10 * 60_000)
    if (r.code !== 0 || r.timedOut) throw runtimeFailed(`copying the image's ${destination} into its volume failed: ${r.timedOut ? 'timed out' : r.stderr.trim()}`)
    await chown(data, st.uid, st.gid)
    await chmod(data, st.mode & 0o7777)
  } finally {
    closeSync(fd)
  }
}

/** The names of the volumes a container mounts. */
export const volumeNames = (rec: ContainerRecord): string[] => (rec.volumes ?? []).flatMap(p => p.Type === 'volume' ? [p.Name!] : [])

/** After a removal: DriverOpts mounts nothing uses any more undone; with `anonymous`, its anonymous volumes removed (one still in use stays, as in Docker). */
export async function dropVolumes (store: VolumeStore, rec: ContainerRecord, anonymous: boolean, log: Logger): Promise<void> {
  await store.release(volumeNames(rec))
  if (!anonymous) return
  for (const name of volumeNames(rec)) {
    if (!store.has(name) || !Object.hasOwn(store.get(name).labels, ANONYMOUS_LABEL)) continue
    await store.remove(name).catch((err: unknown) => log.info({ err, volume: name }, 'anonymous volume kept'))
  }
}

/** Docker's volume events for a container's `start` (mount) and `die` (unmount). */
export function volumeEvents (store: VolumeStore, rec: ContainerRecord, action: 'start' | 'die'): void {
  for (const v of (rec.volumes ?? []).filter(p => p.Type === 'volume')) {
    store.event({ name: v.Name! }, action === 'start' ? 'mount' : 'unmount', {
      container: rec.id, ...(action === 'start' ? { destination: v.Destination, propagation: v.Propagation, 'read/write': String(v.RW) } : {})
    })
  }
}
