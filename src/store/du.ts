/** Disk usage of a tree, as removing it would free it. */
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * Bytes in the regular files under `dir`; 0 when it is gone. lstat, never
 * stat: a running container may swap a dir for a symlink to the host's.
 */
export async function treeSize (dir: string): Promise<number> {
  let total = 0
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  for (const d of entries) {
    if (d.isFile()) total += await lstat(join(d.parentPath, d.name)).then(s => s.isFile() ? s.size : 0, () => 0)
  }
  return total
}
