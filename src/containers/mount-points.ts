/** The runtime's mount points in an overlay upper dir, which docker commit and docker diff leave out. */
import type { Stats } from 'node:fs'
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { OPAQUE_XATTR } from '../images/tar.js'
import { lgetxattr } from '../sys/libc.js'

/**
 * What the runtime made in an upper dir for the container's mounts is not
 * the container's change (Docker keeps it in a separate "init" layer): an
 * empty file or dir at a mount's destination, and a dir that holds nothing
 * but those (the copy-up of /etc that making /etc/hostname caused).
 */
export function mountPoints (destinations: string[]): (rel: string, abs: string, st: Stats) => Promise<boolean> {
  const exclude = new Set(destinations.map(d => d.replace(/^\/+|\/+$/g, '')).filter(d => d !== ''))
  const ancestors = new Set([...exclude].flatMap(d => d.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))))
  const skip = async (rel: string, abs: string, st: Stats): Promise<boolean> => {
    if (exclude.has(rel)) {
      if (st.isFile()) return st.size === 0
      if (st.isDirectory()) return (await readdir(abs)).length === 0
      return false
    }
    if (!ancestors.has(rel) || !st.isDirectory() || lgetxattr(abs, OPAQUE_XATTR) !== undefined) return false
    for (const name of await readdir(abs)) {
      if (!await skip(`${rel}/${name}`, join(abs, name), await lstat(join(abs, name)))) return false
    }
    return true
  }
  return skip
}
