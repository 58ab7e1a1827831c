/**
 * Tar writing: a file tree as a tar stream, for docker cp's downloads, docker
 * export and a committed container's layer. The tree is walked with lstat in
 * name order, never through a symlink; a file with several links is written
 * once, then as hard links to that first name; sockets are left out, as
 * Docker leaves them out. Of the extended attributes, a file's
 * security.capability is carried, as exact bytes and as v2 (moby pkg/archive's
 * ReadSecurityXattrToTarHeader: a v3's root id means nothing outside the
 * user namespace the archive is made in); Docker carries no others.
 *
 * With `whiteouts`, the tree is an overlay upper dir and its whiteouts become
 * OCI ones: a 0/0 character device `<name>` the empty file `.wh.<name>`, a
 * dir with trusted.overlay.opaque=y the marker `.wh..wh..opq` right after the
 * dir (OCI image-spec layer.md, "Whiteouts"; moby pkg/archive's overlay
 * converter does the same). An upper dir made with overlayfs's redirect_dir
 * or metacopy features (a renamed dir, a file whose data stayed below) cannot
 * be read as a layer that way, and is refused rather than packed wrong.
 */
import { constants, type Stats } from 'node:fs'
import { lstat, open, readdir, readlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type tar from 'tar-stream'
import { lgetxattr, major, minor } from '../sys/libc.js'
import { ownerInside, type IdMap } from '../security/userns.js'
import { packWithPax, withPax, XATTR_PREFIX, type PaxRecord } from './pax.js'
import { OPAQUE_MARKER, OPAQUE_XATTR, WHITEOUT_PREFIX } from './tar.js'

export interface PackOptions {
  /**
   * The name of the tree's root in the archive: 'dir' gives `dir/`, `dir/a`;
   * '/' gives `/`, `/a`; '' gives `a`, ... and no entry for the root itself.
   */
  base: string
  /** The tree is an overlay upper dir: write its whiteouts in the OCI form. */
  whiteouts?: boolean
  /** The tree is a user namespace's: owners are written as seen inside it (moby's IDMap ToContainer). */
  idmap?: IdMap
  /** Leaves an entry out, and what is under it; `rel` is relative to the root. */
  skip?: (rel: string, abs: string, st: Stats) => Promise<boolean> | boolean
}

const CHUNK = 64 * 1024
/** Kernel Documentation/filesystems/overlayfs.rst: "Redirect dir" and "Metadata only copy up". */
const UNREADABLE_XATTRS = ['trusted.overlay.redirect', 'trusted.overlay.metacopy']

/** The archive name of `rel` under `base` (pure). */
export function archiveName (base: string, rel: string): string {
  if (rel === '') return base
  if (base === '') return rel
  return base.endsWith('/') ? `${base}${rel}` : `${base}/${rel}`
}

const CAPS = 'security.capability'
/** linux/capability.h: the revision is the magic's top byte (byte 3, little-endian); v2's struct is 20 bytes. */
const CAPS_V2_SIZE = 20
const CAPS_REVISION_BYTE = 3

/** A file capability xattr as an archive carries it (pure): a v3 becomes v2, its root id dropped, as moby writes it. */
export function archiveCaps (value: Buffer): Buffer {
  if (value.length < CAPS_V2_SIZE || value[CAPS_REVISION_BYTE] !== 3) return value
  const v2 = Buffer.from(value.subarray(0, CAPS_V2_SIZE))
  v2[CAPS_REVISION_BYTE] = 2
  return v2
}

/** The pax records of a regular file's xattrs in the archive. */
function xattrRecords (abs: string): PaxRecord[] {
  // As moby, a file whose xattr cannot be read (gone since lstat, a file system without xattrs) goes without.
  let caps: Buffer | undefined
  try { caps = lgetxattr(abs, CAPS) } catch { caps = undefined }
  return caps === undefined ? [] : [[`${XATTR_PREFIX}${CAPS}`, archiveCaps(caps)]]
}

/** The whiteout entry's name for `name` (pure): `.wh.` before its last component. */
export function whiteoutName (name: string): string {
  const i = name.lastIndexOf('/')
  return `${name.slice(0, i + 1)}${WHITEOUT_PREFIX}${name.slice(i + 1)}`
}

/** The bytes of an open regular file, exactly `size` of them: cut when it grew since lstat, zero-padded when it shrank (the header is written already). */
async function * contents (fh: FileHandle, size: number): AsyncGenerator<Buffer> {
  try {
    let left = size
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, left))
      const { bytesRead } = await fh.read(buf, 0, buf.length, null)
      if (bytesRead === 0) break
      left -= bytesRead
      yield buf.subarray(0, bytesRead)
    }
    for (; left > 0; left -= Math.min(CHUNK, left)) yield Buffer.alloc(Math.min(CHUNK, left))
  } finally {
    await fh.close()
  }
}

/** An entry that went away (or changed type) while the tree was walked: left out, as Docker's tar walker leaves it out. */
const VANISHED = new Set(['ENOENT', 'ENOTDIR', 'ELOOP'])
function orVanished<T> (p: Promise<T>): Promise<T | undefined> {
  return p.catch((err: NodeJS.ErrnoException) => { if (VANISHED.has(err.code ?? '')) return undefined; throw err })
}

/** Streams `path` (a dir, file, symlink or device) as a tar. Errors destroy the stream. */
export function packTree (path: string, opts: PackOptions): Readable {
  const pack = packWithPax()
  const links = new Map<string, string>()
  const put = (header: Partial<tar.Header> & { name: string }, body?: AsyncIterable<Buffer> | Buffer): Promise<void> => new Promise((resolve, reject) => {
    const done = (err?: Error | null): void => { if (err) reject(err); else resolve() }
    if (Buffer.isBuffer(body)) { pack.entry(header, body, done); return }
    const entry = pack.entry(header, done)
    if (body !== undefined) pipeline(Readable.from(body), entry).catch(reject)
  })

  const add = async (abs: string, rel: string): Promise<void> => {
    const st = rel === '' ? await lstat(abs) : await orVanished(lstat(abs))
    if (st === undefined) return
    if (opts.skip !== undefined && await opts.skip(rel, abs, st)) return
    const name = archiveName(opts.base, rel)
    if (opts.whiteouts === true && (st.isDirectory() || st.isFile())) {
      const feature = UNREADABLE_XATTRS.find(x => lgetxattr(abs, x) !== undefined)
      if (feature !== undefined) throw new Error(`${rel} carries ${feature}: an overlay with redirect_dir or metacopy on cannot be read as a layer`)
    }
    // The type bits stay: tar-stream takes a mode of 0 for "unset" (0644), and masks with 07777 when encoding.
    const common = { ...(opts.idmap !== undefined ? ownerInside(opts.idmap, st.uid, st.gid) : { uid: st.uid, gid: st.gid }), mode: st.mode, mtime: st.mtime }
    if (st.isDirectory()) {
      const children = await orVanished(readdir(abs))
      if (name !== '') await put({ ...common, name: name.endsWith('/') ? name : `${name}/`, type: 'directory' })
      if (opts.whiteouts === true && rel !== '' && lgetxattr(abs, OPAQUE_XATTR)?.toString() === 'y') {
        await put({ ...common, name: archiveName(name, OPAQUE_MARKER), mode: 0o100000 | (st.mode & 0o777), type: 'file' }, Buffer.alloc(0))
      }
      for (const child of (children ?? []).sort()) await add(join(abs, child), rel === '' ? child : `${rel}/${child}`)
      return
    }
    if (st.isSocket() || name === '') return
    if (opts.whiteouts === true && st.isCharacterDevice() && st.rdev === 0) {
      await put({ ...common, name: whiteoutName(name), mode: 0o100600, type: 'file' }, Buffer.alloc(0))
      return
    }
    const key = `${st.dev}:${st.ino}`
    const first = st.nlink > 1 ? links.get(key) : undefined
    if (first !== undefined) {
      // The link carries the capability too, as moby writes it: Docker's Untar chowns the inode again for each
      // link entry, which drops the capability, and sets only that entry's xattrs after.
      await put(withPax({ ...common, name, type: 'link', linkname: first }, st.isFile() ? xattrRecords(abs) : []))
      return
    }
    if (st.isFile()) {
      const fh = await orVanished(open(abs, constants.O_RDONLY | constants.O_NOFOLLOW))
      if (fh === undefined) return
      if (st.nlink > 1) links.set(key, name)
      await put(withPax({ ...common, name, type: 'file', size: st.size }, xattrRecords(abs)), contents(fh, st.size))
    } else if (st.isSymbolicLink()) {
      const target = await orVanished(readlink(abs))
      if (target !== undefined) await put({ ...common, name, type: 'symlink', linkname: target })
    } else if (st.isFIFO()) {
      await put({ ...common, name, type: 'fifo' })
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      if (st.nlink > 1) links.set(key, name)
      await put({ ...common, name, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major(st.rdev), devminor: minor(st.rdev) })
    }
  }

  void add(path, '').then(() => pack.finalize(), (err: Error) => pack.destroy(err))
  return pack as unknown as Readable
}
