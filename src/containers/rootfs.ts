/**
 * An image-based container's root filesystem: an overlay of the image's
 * layers (read-only lowerdirs, top first) under a private upper and work
 * dir, mounted on `merged`. The upper dir is the container's own writes, so
 * two containers of one image never see each other's. Mounts are made with
 * mount(2) directly (no `mount` process), and the kernel keeps them across a
 * berthd restart; after a reboot they are made again before the next start.
 */
import { mkdir } from 'node:fs/promises'
import { invalid } from '../errors.js'
import { treeSize } from '../store/du.js'
import type { RootfsPaths } from '../store/layout.js'
import { mkdirAllInRoot } from '../sys/inroot.js'
import { fail, libc } from '../sys/libc.js'
import { isMounted, unmountIfMounted } from '../sys/mounts.js'

export { isMounted } from '../sys/mounts.js'

/** The overlay mount options (pure): lowerdirs top first, as overlayfs wants them. */
export function overlayOptions (layerDirs: readonly string[], p: RootfsPaths): string {
  if (layerDirs.length === 0) throw new Error('an image without layers has no root filesystem')
  const bad = [...layerDirs, p.upper, p.work].find(d => /[,:]/.test(d))
  if (bad !== undefined) throw new Error(`overlay paths cannot hold ',' or ':': ${bad}`)
  const opts = `lowerdir=${[...layerDirs].reverse().join(':')},upperdir=${p.upper},workdir=${p.work}`
  // The kernel reads mount data as one page.
  if (opts.length >= 4096) throw new Error(`too many layers for one overlay mount (${layerDirs.length}): the options exceed a page`)
  return opts
}

/** Makes the dirs and mounts the overlay, unless it is mounted already. */
export async function mountRootfs (layerDirs: readonly string[], p: RootfsPaths): Promise<void> {
  if (await isMounted(p.merged)) return
  for (const d of [p.upper, p.work, p.merged]) await mkdir(d, { recursive: true, mode: 0o755 })
  if (libc().mount('overlay', p.merged, 'overlay', 0, overlayOptions(layerDirs, p)) !== 0) throw fail('mount overlay on', p.merged)
}

/** Unmounts the overlay if it is mounted; a busy mount is detached (it goes when its last user does). */
export async function unmountRootfs (p: RootfsPaths): Promise<void> { await unmountIfMounted(p.merged) }

/** Bytes in the files under `dir` (a container's upper dir: its own writes, what removing it frees); 0 when it is gone. */
export const upperSize = treeSize

/** Makes the working dir `dir` (and its parents) inside the rootfs, resolved in it as the container would: a symlink on the way never reaches the host. */
export function mkdirInRootfs (rootfs: string, dir: string, owner?: { uid: number, gid: number }): void {
  try {
    mkdirAllInRoot(rootfs, dir, 0o755, owner)
  } catch (err) {
    throw invalid(`cannot create working directory ${dir} in the container: ${(err as Error).message}`, err)
  }
}
