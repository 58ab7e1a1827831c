/**
 * A rotated log on disk, as Docker's json-file driver keeps one: the current
 * file `<log>` and the rotated `<log>.1` (newest) … `<log>.<max-file − 1>`
 * (oldest). The current file is conmon's: it appends to it, and replaces it
 * with a new empty one when told to reopen its log. berthd never moves the
 * file conmon writes; it gives the current file a second name (`.1`, after
 * shifting the others up) and only then asks conmon to reopen, so lines
 * written in between land in `.1` and none is lost or written twice (see
 * shims/logrotate.ts). Between the link and conmon's reopen, `.1` and the
 * current file are one inode: readers skip the duplicate name.
 */
import { link, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** One file of a log: an open handle and the inode it was opened on. */
export interface LogFile { fh: FileHandle, ino: number }

/** The rotated files of `path` that exist, oldest first, with their numbers. */
export async function rotatedFiles (path: string): Promise<Array<{ n: number, path: string }>> {
  const base = basename(path)
  const names = await readdir(dirname(path)).catch(() => [] as string[])
  const out: Array<{ n: number, path: string }> = []
  for (const name of names) {
    const m = name.startsWith(`${base}.`) ? /^(\d{1,6})$/.exec(name.slice(base.length + 1)) : null
    if (m !== null) out.push({ n: Number(m[1]), path: join(dirname(path), name) })
  }
  return out.sort((a, b) => b.n - a.n)
}

/**
 * Shifts `.k` to `.k+1`, dropping what would pass `maxFile − 1`, then links
 * the current file as `.1`. Each step is one rename or link: a crash leaves
 * at worst a gap in the numbers, which readers and the next rotation take.
 */
export async function shiftAndLink (path: string, maxFile: number): Promise<void> {
  for (const f of await rotatedFiles(path)) {
    if (f.n + 1 >= maxFile) await unlink(f.path).catch(ignoreMissing)
    else await rename(f.path, `${path}.${f.n + 1}`).catch(ignoreMissing)
  }
  await link(path, `${path}.1`)
}

const ignoreMissing = (err: NodeJS.ErrnoException): void => { if (err.code !== 'ENOENT') throw err }

/**
 * Opens every file of the log, oldest first and the current one last (when
 * it exists), each inode once. Opening is not atomic with a rotation, so the
 * names are looked at again afterwards and the whole set opened again when
 * one changed: a rotation between two opens would otherwise make a reader
 * skip a file or read one twice.
 */
export async function openLog (path: string): Promise<LogFile[]> {
  for (let attempt = 0; ; attempt++) {
    const names = [...(await rotatedFiles(path)).map(f => f.path), path]
    const files: Array<LogFile & { name: string }> = []
    for (const name of names) {
      const fh = await open(name, 'r').catch(() => undefined)
      if (fh !== undefined) files.push({ fh, ino: (await fh.stat()).ino, name })
    }
    const now = await Promise.all(files.map(async f => (await stat(f.name).catch(() => undefined))?.ino))
    const rotatedSince = (await rotatedFiles(path)).length !== names.length - 1
    if ((now.every((ino, i) => ino === files[i]!.ino) && !rotatedSince) || attempt >= 10) {
      const seen = new Set<number>()
      const out: LogFile[] = []
      // The current file last: when it is also `.1` (a rotation half done), its place is the end.
      for (const f of files.reverse()) {
        if (seen.has(f.ino)) { await f.fh.close(); continue }
        seen.add(f.ino)
        out.unshift({ fh: f.fh, ino: f.ino })
      }
      return out
    }
    await Promise.all(files.map(async f => await f.fh.close()))
  }
}
