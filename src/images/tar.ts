/**
 * Tar extraction: layers (`unpackLayer`) and docker cp's uploads
 * (`extractTar`) share one entry writer. A layer tar (plain or gzip) is read
 * once as a stream: its uncompressed bytes are hashed (the diffID) and, when
 * the store has no compressed blob of it, kept as a file, so that `docker
 * save` gives the same bytes back, while each entry is written under the
 * layer dir. In a layer, OCI/AUFS whiteouts become
 * what overlayfs reads in a lowerdir: `.wh.<name>` a 0/0 character device
 * `<name>`, `.wh..wh..opq` the xattr trusted.overlay.opaque=y on its dir (OCI
 * image-spec layer.md, "Whiteouts"; kernel
 * Documentation/filesystems/overlayfs.rst). In a copy they are plain files,
 * as Docker's Untar leaves them.
 *
 * Nothing is ever written outside the destination: entry names with `..` are
 * refused, absolute names are made relative (layers) or refused (copies), and
 * every parent of an entry (and of a hard link's source) must be a real
 * directory inside the destination, checked with lstat, so no write goes
 * through a symlink. Any refusal fails the whole archive; for a layer the
 * caller removes the partial dir.
 */
import { createHash } from 'node:crypto'
import { lchown, link, lstat, lutimes, mkdir, chmod, open, rm, symlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough, pipeline, Transform, type Readable } from 'node:stream'
import { pipeline as pipelineAsync } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import tar from 'tar-stream'
import { BerthError, invalid } from '../errors.js'
import { lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from '../sys/libc.js'
import { hostOwner, type IdMap } from '../security/userns.js'
import { extractWithXattrs, xattrsOf } from './pax.js'
import { completeTarEnd } from './tar-end.js'

/** tar-stream's header, with the pax records its types leave out. */
type Header = Omit<tar.Header, 'pax' | 'type'> & { type?: string | null, pax?: Record<string, string> | null }

export const WHITEOUT_PREFIX = '.wh.'
export const OPAQUE_MARKER = '.wh..wh..opq'
export const OPAQUE_XATTR = 'trusted.overlay.opaque'

/**
 * An entry's name made relative to the destination ('' is the root itself).
 * Leading slashes and `.` components go; a `..` component is refused.
 */
export function entryPath (name: string, what = 'layer'): string {
  const parts = name.split('/').filter(p => p !== '' && p !== '.')
  if (parts.includes('..')) throw invalid(`refusing ${what}: entry ${JSON.stringify(name)} escapes the ${what === 'layer' ? 'layer' : 'destination'}`)
  return parts.join('/')
}

/** What a whiteout entry means for an overlay lowerdir. */
export type Whiteout =
  | { kind: 'opaque', dir: string }
  | { kind: 'remove', path: string }
  | { kind: 'ignore' }

/** The whiteout an entry path stands for, or undefined for an ordinary entry. Pure. */
export function whiteoutOf (rel: string): Whiteout | undefined {
  const i = rel.lastIndexOf('/')
  const dir = i < 0 ? '' : rel.slice(0, i)
  const base = rel.slice(i + 1)
  if (!base.startsWith(WHITEOUT_PREFIX)) return undefined
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir }
  // Other `.wh..wh.` names are AUFS bookkeeping (plink, aufs), not files.
  if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return { kind: 'ignore' }
  const name = base.slice(WHITEOUT_PREFIX.length)
  return { kind: 'remove', path: dir === '' ? name : `${dir}/${name}` }
}

/** Bytes per gunzip output chunk: every chunk costs a threadpool round trip and a hop through hashing, tar parsing and the writes; zlib's 16 KiB default made that a pull's main cost, and 1 MiB chunks are fewer still than 256 KiB ones (berthd's CPU per 210 MiB pull about 4 % lower). */
const GUNZIP_CHUNK = 1024 * 1024

/** A stream's bytes, gunzipped when they start with gzip's magic 1f 8b. `input` is consumed: on failure it is destroyed. */
export async function decompressed (input: Readable): Promise<Readable> {
  const first = await new Promise<Buffer | null>((resolve, reject) => {
    const onReadable = (): void => {
      const chunk = input.read() as Buffer | null
      if (chunk === null && !input.readableEnded) return
      // Put back at once: when that chunk was the last, 'end' is emitted on the next tick, before a promise continuation could unshift it.
      cleanup(); if (chunk !== null && chunk.length > 0) input.unshift(chunk)
      resolve(chunk)
    }
    const onEnd = (): void => { cleanup(); resolve(null) }
    const onError = (err: Error): void => { cleanup(); reject(err) }
    const cleanup = (): void => { input.off('readable', onReadable); input.off('end', onEnd); input.off('error', onError) }
    input.on('readable', onReadable); input.once('end', onEnd); input.once('error', onError)
    onReadable()
  })
  if (first === null || first.length === 0) throw invalid('the tar archive is empty')
  let gzip = first[0] === 0x1f && first[1] === 0x8b
  if (first.length === 1 && first[0] === 0x1f) gzip = true
  if (!gzip) return input
  // pipeline, not pipe: a failure on either side destroys both, so a layer file's fd is not left open.
  return pipeline(input, createGunzip({ chunkSize: GUNZIP_CHUNK }), () => {})
}

/** What unpacking a layer gave. */
export interface Unpacked {
  /** 'sha256:<hex>' of the uncompressed tar. */
  diffId: string
  /** Bytes of regular file content in the layer. */
  size: number
  /** Bytes of the uncompressed tar. */
  tarSize: number
}

/** How an extraction treats what it meets. */
export interface ExtractOptions {
  /**
   * 'layer': OCI whiteouts become overlay whiteouts, absolute names count as
   * relative, and a root entry's owner, mode and time go on the destination.
   * 'copy' (docker cp): `.wh.` names are plain files, absolute names are
   * refused, and a root entry is skipped, as Docker skips it.
   */
  kind: 'layer' | 'copy'
  /** Refuse to replace a dir with a non-dir or the reverse (Docker's noOverwriteDirNonDir). */
  noOverwriteDirNonDir?: boolean
  /** Owner of every entry written, instead of the archive's (Docker's copyUIDGID). */
  owner?: { uid: number, gid: number }
  /** The container's maps when it runs in a user namespace: owners are its ids, written shifted to the host's (moby's IDMap). */
  idmap?: IdMap
  /** Take a tar whose last entry lacks its padding and end blocks, as the docker CLI sends some build contexts (tar-end.ts). */
  completeEnd?: boolean
}

/** Per-extraction state: dirs known to be real, dirs whose times are set last. */
interface State extends ExtractOptions { root: string, what: string, dirs: Set<string>, dirTimes: Array<[string, Date]>, size: number }

const newState = (root: string, opts: ExtractOptions): State =>
  ({ ...opts, root, what: opts.kind === 'layer' ? 'layer' : 'archive', dirs: new Set(['']), dirTimes: [], size: 0 })

/**
 * Unpacks a layer tar from `input` into `dest` (which must exist and be
 * empty) and writes its uncompressed bytes to `tarCopy` when given (a layer
 * whose compressed blob the store keeps needs no copy). Throws
 * INVALID_ARGUMENT for a bad or unsafe archive.
 */
export async function unpackLayer (input: Readable, dest: string, tarCopy?: string): Promise<Unpacked> {
  const src = await decompressed(input).catch(err => { throw asInvalid(err) })
  const hash = createHash('sha256')
  let tarSize = 0
  // A file handle, not a WriteStream: a failed write rejects into the tap's
  // callback (the request's error), and close waits for a write in flight
  // instead of racing it the way destroying a WriteStream does.
  const copy = tarCopy === undefined ? undefined : await open(tarCopy, 'wx', 0o600).catch(err => { src.destroy(); throw err })
  try {
    const tap = new Transform({
      transform (chunk: Buffer, _enc, cb) {
        hash.update(chunk)
        tarSize += chunk.length
        if (copy === undefined) cb(null, chunk); else writeAll(copy, chunk).then(() => cb(null, chunk), cb)
      }
    })
    const state = newState(dest, { kind: 'layer' })
    await extractEntries(src, tap, state)
    return { diffId: `sha256:${hash.digest('hex')}`, size: state.size, tarSize }
  } finally {
    await copy?.close()
  }
}

/**
 * Extracts a tar (plain or gzip) into `dest`, an existing dir: docker cp's
 * upload. Throws INVALID_ARGUMENT for a bad or unsafe archive; entries
 * written before the refusal stay, as with Docker.
 */
export async function extractTar (input: Readable, dest: string, opts: Omit<ExtractOptions, 'kind'> = {}): Promise<void> {
  const src = await decompressed(input).catch(err => { throw asInvalid(err) })
  await extractEntries(src, opts.completeEnd === true ? completeTarEnd() : new PassThrough(), newState(dest, { ...opts, kind: 'copy' }))
}

/** Reads the tar bytes of `src` through `tap` and writes every entry. */
async function extractEntries (src: Readable, tap: Transform, state: State): Promise<void> {
  const extract = extractWithXattrs()
  const piping = pipelineAsync(src, tap, extract)
  piping.catch(() => {})
  try {
    for await (const entry of extract) {
      await writeEntry(state, entry.header as Header, entry as Content)
    }
    await piping
  } catch (err) {
    // pipeline destroys all three once one is; this covers a refusal in writeEntry.
    extract.destroy(); tap.destroy(); src.destroy()
    throw asInvalid(err)
  }
  // Set last: writing a dir's entries changes its mtime.
  for (const [path, mtime] of state.dirTimes.reverse()) await lutimes(path, mtime, mtime)
}

/**
 * Archive and compression errors are the client's (400), and so is a name the
 * file system cannot hold (a component over 255 bytes); other file-system
 * errors stay as they are.
 */
function asInvalid (err: unknown): unknown {
  if (err instanceof BerthError) return err
  const e = err as NodeJS.ErrnoException
  if (e.code === 'ENAMETOOLONG') return invalid('invalid tar archive: an entry\'s name is too long for the file system', err)
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code) && e.code !== 'EINVAL') return err
  return invalid(`invalid tar archive: ${e.message ?? String(err)}`, err)
}

/** Makes sure every parent of `rel` is a real dir inside the destination, creating missing ones (0755) when `create`. */
async function checkParents (s: State, rel: string, create: boolean): Promise<void> {
  const parts = rel.split('/').slice(0, -1)
  for (let i = 1; i <= parts.length; i++) {
    const p = parts.slice(0, i).join('/')
    if (s.dirs.has(p)) continue
    const st = await lstat(join(s.root, p)).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return undefined; throw err })
    if (st === undefined && create) {
      await mkdir(join(s.root, p), { mode: 0o755 })
      // moby makes them the remapped root's (MkdirAllAndChownNew with the map's root pair).
      if (s.idmap !== undefined) { const o = hostOwner(s.idmap, 0, 0); await lchown(join(s.root, p), o.uid, o.gid) }
    } else if (st === undefined || !st.isDirectory()) {
      throw invalid(`refusing ${s.what}: ${rel} would be written through ${p}, which is ${st === undefined ? 'missing' : 'not a directory'}`)
    }
    s.dirs.add(p)
  }
}

/** Removes whatever is at `rel` so a new entry can take its place (a dir stays for a dir). */
async function clearTarget (s: State, rel: string, keepDir: boolean): Promise<boolean> {
  const abs = join(s.root, rel)
  const st = await lstat(abs).catch(() => undefined)
  if (st === undefined) return false
  if (s.noOverwriteDirNonDir === true && st.isDirectory() !== keepDir) {
    throw invalid(keepDir ? `cannot overwrite non-directory ${rel} with directory` : `cannot overwrite directory ${rel} with non-directory`)
  }
  if (keepDir && st.isDirectory()) return true
  await rm(abs, { recursive: true, force: true })
  for (const d of [...s.dirs]) if (d === rel || d.startsWith(`${rel}/`)) s.dirs.delete(d)
  return false
}

/** An entry's content: tar-stream's streams are streamx streams, read here as async iterables. */
export type Content = AsyncIterable<unknown>

export const drain = async (entry: Content): Promise<void> => { for await (const _ of entry) continue }

/** An entry's chunks are gathered up to this many bytes per write: one write per 64 KiB chunk made the writes a pull's main cost. */
const WRITE_BATCH = 1024 * 1024

/** Writes an entry's content to a new file (never through an existing one). */
export async function copyTo (entry: Content, path: string): Promise<void> {
  const fh = await open(path, 'wx', 0o600)
  try {
    let batch: Buffer[] = []
    let bytes = 0
    for await (const chunk of entry) {
      batch.push(chunk as Buffer)
      bytes += (chunk as Buffer).length
      if (bytes >= WRITE_BATCH) { await writevAll(fh, batch, bytes); batch = []; bytes = 0 }
    }
    if (bytes > 0) await writevAll(fh, batch, bytes)
  } finally { await fh.close() }
}

/** Writes all of `chunks` (`bytes` in all) in one writev, the rest of a short one after it. */
async function writevAll (fh: FileHandle, chunks: Buffer[], bytes: number): Promise<void> {
  const { bytesWritten } = await fh.writev(chunks)
  if (bytesWritten < bytes) await writeAll(fh, Buffer.concat(chunks, bytes).subarray(bytesWritten))
}

/** Writes all of `chunk`: a write can be short (a disk filling up), and only the next one fails with ENOSPC. */
async function writeAll (fh: FileHandle, chunk: Buffer): Promise<void> {
  for (let off = 0; off < chunk.length;) off += (await fh.write(chunk, off)).bytesWritten
}

/** Refuses an absolute name in a copy: Docker's clients only send relative ones. */
function checkName (s: State, name: string): void {
  if (s.kind === 'copy' && name.startsWith('/')) throw invalid(`refusing archive: entry ${JSON.stringify(name)} is absolute`)
}

async function writeEntry (s: State, h: Header, entry: Content): Promise<void> {
  checkName(s, h.name)
  const rel = entryPath(h.name, s.what)
  const abs = join(s.root, rel)
  if (rel === '' && s.kind === 'copy') { await drain(entry); return }
  const wo = rel === '' || s.kind === 'copy' ? undefined : whiteoutOf(rel)
  if (wo !== undefined) {
    await drain(entry)
    if (wo.kind === 'ignore') return
    await checkParents(s, rel, true)
    if (wo.kind === 'opaque') {
      lsetxattr(join(s.root, wo.dir), OPAQUE_XATTR, Buffer.from('y'))
    } else {
      await clearTarget(s, wo.path, false)
      mknod(join(s.root, wo.path), S_IFCHR, 0, 0)
    }
    return
  }
  if (rel !== '') await checkParents(s, rel, true)
  const mode = (h.mode ?? 0o644) & 0o7777
  switch (h.type) {
    case 'directory':
      if (rel !== '' && !(await clearTarget(s, rel, true))) await mkdir(abs, { mode: 0o700 })
      s.dirs.add(rel)
      await drain(entry)
      break
    case 'file':
    case 'contiguous-file':
    case undefined:
    case null:
      if (rel === '') throw invalid(`refusing ${s.what}: a file entry names the root`)
      await clearTarget(s, rel, false)
      await copyTo(entry, abs)
      s.size += h.size ?? 0
      break
    case 'link': {
      checkName(s, h.linkname ?? '')
      const from = entryPath(h.linkname ?? '', s.what)
      if (from === '' || rel === '') throw invalid(`refusing ${s.what}: hard link ${h.name} to the root`)
      await checkParents(s, from, false)
      const st = await lstat(join(s.root, from)).catch(() => undefined)
      if (st === undefined || st.isDirectory()) throw invalid(`refusing ${s.what}: hard link ${h.name} to ${h.linkname ?? ''}, which is ${st === undefined ? 'missing' : 'a directory'}`)
      await drain(entry)
      if (from === rel) return
      await clearTarget(s, rel, false)
      await link(join(s.root, from), abs)
      return // the inode's owner, mode and times are its first entry's
    }
    case 'symlink':
      if (rel === '') throw invalid(`refusing ${s.what}: a symlink entry names the root`)
      await clearTarget(s, rel, false)
      await symlink(h.linkname ?? '', abs)
      await drain(entry)
      break
    case 'character-device':
    case 'block-device':
    case 'fifo':
      if (rel === '') throw invalid(`refusing ${s.what}: a device entry names the root`)
      await clearTarget(s, rel, false)
      mknod(abs, (h.type === 'fifo' ? S_IFIFO : h.type === 'block-device' ? S_IFBLK : S_IFCHR) | mode, h.devmajor ?? 0, h.devminor ?? 0)
      await drain(entry)
      break
    default:
      await drain(entry) // other types (GNU sparse, volume labels) carry nothing a rootfs needs
      return
  }
  await applyAttributes(s, abs, h, mode)
}

/** Owner, mode, xattrs and times, in that order (chown clears set-id bits; times last). */
async function applyAttributes (s: State, abs: string, h: Header, mode: number): Promise<void> {
  const pax = h.pax ?? {}
  const uid = s.owner?.uid ?? (pax.uid !== undefined ? Number(pax.uid) : h.uid ?? 0)
  const gid = s.owner?.gid ?? (pax.gid !== undefined ? Number(pax.gid) : h.gid ?? 0)
  const o = s.idmap !== undefined ? hostOwner(s.idmap, uid, gid) : { uid, gid }
  await lchown(abs, o.uid, o.gid)
  if (h.type !== 'symlink') await chmod(abs, mode)
  // The exact bytes (pax.ts): tar-stream's decoded strings would garble a binary value such as security.capability.
  for (const [name, value] of xattrsOf(h.pax)) lsetxattr(abs, name, value)
  const mtime = pax.mtime !== undefined ? new Date(Number(pax.mtime) * 1000) : h.mtime ?? new Date(0)
  if (h.type === 'directory') s.dirTimes.push([abs, mtime])
  else await lutimes(abs, mtime, mtime)
}
