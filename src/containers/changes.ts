/**
 * docker diff: a container's changes read from its overlay upper dir against
 * its image's layers, reported as moby's pkg/archive OverlayChanges does for
 * overlay2. Kind 0 is modified, 1 added, 2 deleted. A whiteout (a char device
 * 0/0) is a deletion; an opaque dir over one that the layers have is a
 * deletion too, and what is in it is then reported on its own. A directory
 * that only carries changes (same mode, size and mtime as below) is listed as
 * modified once, before the first change under it. Entries come in the order
 * of Go's filepath.Walk: names sorted, parents first.
 */
import type { Stats } from 'node:fs'
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { OPAQUE_XATTR } from '../images/tar.js'
import { lgetxattr } from '../sys/libc.js'

/** Docker's change kinds. */
export const ChangeKind = { Modified: 0, Added: 1, Deleted: 2 } as const
export type ChangeKind = typeof ChangeKind[keyof typeof ChangeKind]

/** One line of docker diff, in the API's shape. */
export interface Change { Path: string, Kind: ChangeKind }

/** Leaves out what the runtime made for mounts (see mount-points.ts): rel is relative to the upper dir. */
export type SkipEntry = (rel: string, abs: string, st: Stats) => Promise<boolean>

const isWhiteout = (st: Stats): boolean => st.isCharacterDevice() && st.rdev === 0

/**
 * `rel` in a layer dir, looked up one component at a time without following
 * symlinks: a layer's link must not lead the daemon out of the layer.
 * Undefined when it is not there.
 */
async function lstatInLayer (layer: string, rel: string): Promise<Stats | undefined> {
  const parts = rel.split('/')
  let st: Stats | undefined
  for (let i = 0; i < parts.length; i++) {
    if (st !== undefined && !st.isDirectory()) return undefined
    st = await lstat(join(layer, ...parts.slice(0, i + 1))).catch(() => undefined)
    if (st === undefined) return undefined
  }
  return st
}

/** Whether `rel` or one of its parent dirs is a whiteout in `layer`: then what is above is new (moby's overlayLowerContainsWhiteout). */
async function whitedOutIn (layer: string, rel: string): Promise<boolean> {
  const parts = rel.split('/')
  for (let i = parts.length; i > 0; i--) {
    const st = await lstatInLayer(layer, parts.slice(0, i).join('/'))
    if (st !== undefined && isWhiteout(st)) return true
  }
  return false
}

/** The file below `rel` in the first layer (top first) that has one, unless a whiteout hides it. */
async function below (layers: readonly string[], rel: string): Promise<Stats | undefined> {
  for (const layer of layers) {
    if (await whitedOutIn(layer, rel)) return undefined
    const st = await lstatInLayer(layer, rel)
    if (st !== undefined) return st
  }
  return undefined
}

/** Go's sameFsTime: equal, or equal seconds when one side has no nanoseconds. */
function sameTime (a: Stats, b: Stats): boolean {
  const an = BigInt(Math.round(a.mtimeMs * 1e6))
  const bn = BigInt(Math.round(b.mtimeMs * 1e6))
  const sec = 1_000_000_000n
  return an === bn || (an / sec === bn / sec && (an % sec === 0n || bn % sec === 0n))
}

/** The changes in `upper` over `layers` (top first). */
export async function overlayChanges (upper: string, layers: readonly string[], skip?: SkipEntry): Promise<Change[]> {
  const changes: Change[] = []
  const changedDirs = new Set<string>()
  const visit = async (rel: string): Promise<void> => {
    const abs = join(upper, rel)
    // The container may remove a file while the walk runs: it is then no change.
    const st = await lstat(abs).catch(() => undefined)
    if (st === undefined || (skip !== undefined && await skip(rel, abs, st))) return
    const path = `/${rel}`
    let kind: ChangeKind
    if (isWhiteout(st)) {
      kind = ChangeKind.Deleted
    } else if (st.isDirectory() && lgetxattr(abs, OPAQUE_XATTR)?.toString() === 'y' && await below(layers, rel) !== undefined) {
      kind = ChangeKind.Deleted
    } else {
      const old = await below(layers, rel)
      // A dir copied up only because something under it changed is not itself a change.
      if (old?.isDirectory() === true && st.isDirectory() && old.size === st.size && old.mode === st.mode && sameTime(old, st)) {
        await descend(rel, st)
        return
      }
      kind = old === undefined ? ChangeKind.Added : ChangeKind.Modified
    }
    if (st.isDirectory()) changedDirs.add(path)
    if (kind !== ChangeKind.Modified) {
      // Every parent not yet listed is listed as modified, outermost first (moby#13590).
      const parents: Change[] = []
      for (let p = parentOf(path); p !== '/'; p = parentOf(p)) {
        if (changedDirs.has(p)) continue
        parents.unshift({ Path: p, Kind: ChangeKind.Modified })
        changedDirs.add(p)
      }
      changes.push(...parents)
    }
    changes.push({ Path: path, Kind: kind })
    await descend(rel, st)
  }
  const descend = async (rel: string, st: Stats): Promise<void> => {
    if (!st.isDirectory()) return
    const names = await readdir(join(upper, rel)).catch(() => [])
    for (const name of names.sort()) await visit(rel === '' ? name : `${rel}/${name}`)
  }
  // A container whose upper dir was never made has changed nothing.
  const top = await lstat(upper).catch(() => undefined)
  if (top !== undefined) await descend('', top)
  return changes
}

const parentOf = (path: string): string => path.slice(0, Math.max(1, path.lastIndexOf('/')))
