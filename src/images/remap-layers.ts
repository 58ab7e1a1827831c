/**
 * The image layers of a remapped berthd (--userns-remap), as Docker keeps
 * them under /var/lib/docker/<uid>.<gid>: one copy of each layer with every
 * owner shifted into the remap's host range, so that root's files in the
 * image are the container root's (an unprivileged uid) on the host. Neither
 * runtime here can idmap the overlay's lower layers (runc 1.1.5 has no
 * idmapped mounts; crun 1.8.1 knows no `idmap` mount option), so the copy is
 * made once per layer and shared by every container of every image that
 * has the layer; it goes when the image store collects the layer.
 *
 *   <root>/<uid>.<gid>/layers/<diffID hex>   a shifted copy of images/layers/<hex>/fs
 *   <root>/<uid>.<gid>/layers/.tmp-…         a copy being made (renamed into place when whole)
 */
import { chmod, lchown, lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { execa } from 'execa'
import type { Logger } from 'pino'
import { toHost, type Userns } from '../security/userns.js'
import { lgetxattr, lsetxattr } from '../sys/libc.js'

const TMP = '.tmp-'
const CAPS = 'security.capability'
const CAP_V2 = 0x02000000
const CAP_V3 = 0x03000000
const CAP_REVISION_MASK = 0xff000000

/**
 * A file capability xattr for the shifted copy (pure): its root id (v3's
 * rootid, 0 for v2) shifted into the map, written as v3, so the caps hold
 * for the container's root as the kernel reads them (vfs_caps, as
 * containers-storage rewrites them); undefined when unshiftable.
 */
export function shiftCaps (value: Buffer, uidMap: Userns['uidMappings']): Buffer | undefined {
  if (value.length < 20) return undefined
  const magic = value.readUInt32LE(0)
  const revision = (magic & CAP_REVISION_MASK) >>> 0
  if (revision !== CAP_V2 && !(revision === CAP_V3 && value.length >= 24)) return undefined
  const rootid = toHost(uidMap, revision === CAP_V3 ? value.readUInt32LE(20) : 0)
  if (rootid === undefined) return undefined
  const out = Buffer.alloc(24)
  value.copy(out, 0, 0, 20)
  out.writeUInt32LE(((magic & ~CAP_REVISION_MASK) | CAP_V3) >>> 0, 0)
  out.writeUInt32LE(rootid, 20)
  return out
}

export class RemapLayers {
  /** Docker's DockerRootDir under remapping: the root's `<uid>.<gid>` dir. */
  readonly dir: string
  private readonly layers: string
  /** Copies being made now, by layer: a second container of the image waits for the first's. */
  private readonly making = new Map<string, Promise<string>>()

  constructor (private readonly root: string, private readonly sources: string, readonly userns: Userns, private readonly log: Logger) {
    this.dir = join(root, `${userns.rootUid}.${userns.rootGid}`)
    this.layers = join(this.dir, 'layers')
  }

  /**
   * Makes the dirs, drops copies a crash left half made and those of layers
   * gone since. The remapped root walks the path to its rootfs, /etc files
   * and volumes: the root and `searchable` (the containers' and volumes'
   * dirs) get o+x, as dockerd makes its root 0711; a dir above the root
   * that denies it stops the start, with dockerd's advice.
   */
  async init (searchable: readonly string[]): Promise<void> {
    await mkdir(this.layers, { recursive: true, mode: 0o700 })
    for (let d = dirname(this.root); d !== dirname(d); d = dirname(d)) {
      const st = await stat(d)
      if ((st.mode & 0o001) === 0 && st.uid !== this.userns.rootUid) {
        throw new Error(`a directory in the path to --root (${d}) restricts access to the remapped root uid ${this.userns.rootUid}: allow o+x on it (chmod o+x ${d})`)
      }
    }
    for (const d of [this.root, ...searchable]) {
      await mkdir(d, { recursive: true, mode: 0o700 })
      await chmod(d, (await stat(d)).mode & 0o7777 | 0o001)
    }
    for (const n of await readdir(this.layers)) if (n.startsWith(TMP)) await rm(join(this.layers, n), { recursive: true, force: true })
    await this.sweep()
  }

  /** The shifted copies of an image's layer dirs (images/layers/<hex>/fs), made where missing. */
  async layersFor (layerDirs: readonly string[]): Promise<string[]> {
    return await Promise.all(layerDirs.map(async d => await this.layerFor(d)))
  }

  /** Removes the copies whose layer the image store no longer has. */
  async sweep (): Promise<void> {
    for (const n of await readdir(this.layers).catch(() => [])) {
      if (n.startsWith(TMP) || this.making.has(n)) continue
      if (await stat(join(this.sources, n, 'fs')).then(() => true, () => false)) continue
      await rm(join(this.layers, n), { recursive: true, force: true })
    }
  }

  private async layerFor (source: string): Promise<string> {
    const hex = basename(dirname(source))
    const target = join(this.layers, hex)
    const pending = this.making.get(hex)
    if (pending !== undefined) return await pending
    if (await stat(target).then(() => true, () => false)) return target
    const p = this.copy(source, target).finally(() => this.making.delete(hex))
    this.making.set(hex, p)
    return await p
  }

  private async copy (source: string, target: string): Promise<string> {
    const tmp = join(this.layers, `${TMP}${basename(target)}-${randomBytes(4).toString('hex')}`)
    const started = Date.now()
    try {
      // cp -a keeps hard links, device nodes (overlay whiteouts) and xattrs (overlay's opaque marks).
      const r = await execa('cp', ['-a', '--reflink=auto', source, tmp], { reject: false })
      if (r.exitCode !== 0) throw new Error(`copying layer ${source} for --userns-remap failed: ${r.stderr.trim()}`)
      await this.shift(tmp, new Set())
      await rename(tmp, target)
    } catch (err) {
      await rm(tmp, { recursive: true, force: true })
      // Another berthd step made it first: theirs is as good.
      if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (err as NodeJS.ErrnoException).code === 'EEXIST') return target
      throw err
    }
    this.log.info({ layer: basename(target), ms: Date.now() - started }, 'layer copied for the user namespace')
    return target
  }

  /** Shifts the owner of `path` and everything under it into the remap's range; `seen` keeps hard-linked inodes from being shifted twice. */
  private async shift (path: string, seen: Set<number>): Promise<void> {
    const st = await lstat(path)
    if (st.nlink > 1 && !st.isDirectory()) {
      if (seen.has(st.ino)) return
      seen.add(st.ino)
    }
    const uid = toHost(this.userns.uidMappings, st.uid)
    const gid = toHost(this.userns.gidMappings, st.gid)
    if (uid === undefined || gid === undefined) throw new Error(`an image file is owned by ${st.uid}:${st.gid}, outside the --userns-remap map (${this.userns.name}): ${path}`)
    // chown drops file capabilities: read them first, then put them back with the shifted root id.
    const caps = st.isFile() ? lgetxattr(path, CAPS) : undefined
    await lchown(path, uid, gid)
    const shifted = caps !== undefined ? shiftCaps(caps, this.userns.uidMappings) : undefined
    if (shifted !== undefined) lsetxattr(path, CAPS, shifted)
    // chown clears set-user-ID and set-group-ID bits: put them back.
    if (!st.isSymbolicLink() && (st.mode & 0o6000) !== 0) await chmod(path, st.mode & 0o7777)
    if (!st.isDirectory()) return
    const names = await readdir(path)
    for (let i = 0; i < names.length; i += 64) {
      await Promise.all(names.slice(i, i + 64).map(async n => { await this.shift(join(path, n), seen) }))
    }
  }
}
