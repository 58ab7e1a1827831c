/**
 * Crash-safe file primitives. A record is written temp → fsync → rename →
 * fsync dir, so a reader sees the old or the new file, never half of one.
 * Deletion renames to a dot-name first; loaders skip dot-names.
 */
import { open, rename, rm, readFile, mkdir } from 'node:fs/promises'
import { dirname, basename, join } from 'node:path'
import { randomBytes } from 'node:crypto'

/** fsyncs a file or dir by path (a dir's fsync makes its entries durable). */
export async function fsyncDir (path: string): Promise<void> {
  const fh = await open(path, 'r')
  try { await fh.sync() } finally { await fh.close() }
}

/**
 * Test seam: called once the temp file is written and synced, just before the
 * rename that commits it. A throw there stands for a crash at that point, so
 * tests can check the write-then-rename contract deterministically.
 */
export const faults: { beforeRename?: (tmp: string, path: string) => void | Promise<void> } = {}

/** Writes `data` to `path` atomically and durably. */
export async function writeFileAtomic (path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`)
  const fh = await open(tmp, 'w', 0o600)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } catch (err) {
    await fh.close(); await rm(tmp, { force: true })
    throw err
  }
  await fh.close()
  await faults.beforeRename?.(tmp, path)
  await rename(tmp, path)
  await fsyncDir(dirname(path))
}

/** Names of trees hideTree set aside (a crash can leave them; loaders skip dot-names). */
export const HIDDEN_PREFIX = '.deleted-'

/**
 * Renames a directory tree to a dot-name that loaders skip, durably: the one
 * step that makes it gone, and one that needs no room on disk. Returns the
 * new path, or undefined if there was nothing to hide.
 */
export async function hideTree (path: string): Promise<string | undefined> {
  const hidden = join(dirname(path), `${HIDDEN_PREFIX}${basename(path)}-${randomBytes(4).toString('hex')}`)
  try {
    await rename(path, hidden)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  await fsyncDir(dirname(path)).catch(() => {})
  return hidden
}

/** Removes a directory tree so that a crash part-way leaves only a dot-name that loaders skip. */
export async function removeTree (path: string): Promise<void> {
  const hidden = await hideTree(path)
  if (hidden !== undefined) await rm(hidden, { recursive: true, force: true })
}

/** Reads a file, or undefined when it does not exist. */
export async function readIfExists (path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/** mkdir -p with a mode. */
export const ensureDir = async (path: string, mode = 0o700): Promise<void> => { await mkdir(path, { recursive: true, mode }) }
