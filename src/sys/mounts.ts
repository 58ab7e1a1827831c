/** What is mounted where (/proc/self/mountinfo), and unmounting that a busy mount cannot stop. */
import { readFile } from 'node:fs/promises'
import { fail, libc } from './libc.js'

/** True when something is mounted exactly at `path` (per /proc/self/mountinfo). */
export async function isMounted (path: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8')
  const target = path.replace(/[ \t\n\\]/g, c => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`)
  return info.split('\n').some(l => l.split(' ')[4] === target)
}

const MNT_DETACH = 2

/** Unmounts `path` if something is mounted there; a busy mount is detached (it goes when its last user does). */
export async function unmountIfMounted (path: string): Promise<void> {
  if (!await isMounted(path)) return
  if (libc().umount2(path, 0) === 0) return
  if (libc().umount2(path, MNT_DETACH) !== 0 && await isMounted(path)) throw fail('umount', path)
}
