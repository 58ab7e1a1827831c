/** Disk usage of a tree, as removing it would free it. */
import { constants } from 'node:fs'
import { lstat, open, opendir, type FileHandle } from 'node:fs/promises'

// Deeper dirs are not counted: each level holds an fd open while it is walked.
const MAX_DEPTH = 256

/**
 * Bytes in the regular files under `dir`; 0 when it is gone. A running
 * container may swap a dir for a symlink to the host's `/` while this walks
 * its upper dir or volume, so nothing below `dir` is ever opened by a path
 * from the top: each dir is opened through its parent's fd
 * (`/proc/self/fd/N/name`, the kernel's openat) with O_NOFOLLOW|O_DIRECTORY,
 * and each entry lstat'ed the same way. A swapped-in symlink is then just an
 * entry that is not a dir.
 */
export async function treeSize (dir: string): Promise<number> {
  const top = await openDir(dir)
  if (top === undefined) return 0
  return await sizeUnder(top, 0)
}

/** The dir `path` opened O_NOFOLLOW|O_DIRECTORY, or undefined when it is gone or was swapped for anything else. */
const openDir = async (path: string): Promise<FileHandle | undefined> =>
  await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW).catch(() => undefined)

/** The bytes under the open dir `fh`, which it closes. */
async function sizeUnder (fh: FileHandle, depth: number): Promise<number> {
  const at = `/proc/self/fd/${fh.fd}`
  let total = 0
  try {
    const subdirs: string[] = []
    for await (const d of await opendir(at).catch(() => [])) {
      if (d.isDirectory()) subdirs.push(d.name)
      else if (d.isFile()) total += await lstat(`${at}/${d.name}`).then(s => s.isFile() ? s.size : 0, () => 0)
    }
    if (depth >= MAX_DEPTH) return total
    for (const name of subdirs) {
      const sub = await openDir(`${at}/${name}`)
      if (sub !== undefined) total += await sizeUnder(sub, depth + 1)
    }
  } finally {
    await fh.close()
  }
  return total
}
