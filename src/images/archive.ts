/**
 * `docker save` archives, read (load) and written (save). Docker 25+ writes
 * an OCI image layout (oci-layout, index.json, blobs/sha256/...) plus the
 * legacy manifest.json and repositories; older Dockers write
 * <id>/layer.tar dirs. Load reads manifest.json when present and index.json
 * otherwise; save writes the Docker 25+ form with uncompressed layers, so the
 * layer digests are the diffIDs and a load gives back the same image id.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { join, posix } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import tar from 'tar-stream'
import { BerthError, invalid } from '../errors.js'
import { familiarKey, familiarName, parseNamed, splitKey, type NamedRef } from './reference.js'
import { copyTo, decompressed, drain, entryPath } from './tar.js'
import type { ImageRecord, ImageSource, LayerSink } from './types.js'

/** One image a load added: its id and the familiar tags it got. */
export interface LoadedImage { id: string, tags: string[] }

const MAX_LINKS = 16
const MAX_JSON = 16 * 1024 * 1024

/** The archive's files spooled to a work dir: entry name → file, symlinks followed. */
class Spool {
  readonly files = new Map<string, string>()
  readonly links = new Map<string, string>()
  constructor (private readonly dir: string) {}

  /** The spooled file an archive path names, following the archive's own symlinks. */
  path (name: string): string {
    let n = entryPath(name)
    for (let i = 0; i < MAX_LINKS; i++) {
      const f = this.files.get(n)
      if (f !== undefined) return f
      const l = this.links.get(n)
      if (l === undefined) break
      n = l
    }
    throw invalid(`invalid image archive: ${name} is missing`)
  }

  has (name: string): boolean { try { this.path(name); return true } catch { return false } }

  async json (name: string): Promise<any> {
    const p = this.path(name)
    if ((await stat(p)).size > MAX_JSON) throw invalid(`invalid image archive: ${name} is too large`)
    try { return JSON.parse(await readFile(p, 'utf8')) } catch (err) { throw invalid(`invalid image archive: ${name} is not JSON`, err) }
  }

  async read (input: Readable): Promise<void> {
    const extract = tar.extract()
    const piping = pipeline(await decompressed(input), extract)
    piping.catch(() => {})
    let n = 0
    try {
      for await (const entry of extract) {
        const h = entry.header
        const name = entryPath(h.name)
        if (h.type === 'file' || h.type === 'contiguous-file') {
          const file = join(this.dir, String(n++))
          await copyTo(entry, file)
          this.files.set(name, file)
          continue
        }
        if (h.type === 'symlink') {
          const target = h.linkname ?? ''
          this.links.set(name, entryPath(target.startsWith('/') ? target : posix.join(posix.dirname(name), target)))
        } else if (h.type === 'link') {
          this.links.set(name, entryPath(h.linkname ?? ''))
        }
        await drain(entry)
      }
      await piping
    } catch (err) {
      extract.destroy()
      throw err instanceof BerthError ? err : invalid(`invalid image archive: ${(err as Error).message}`, err)
    }
  }
}

/** An image as an archive describes it. */
interface Described { config: string, layers: string[], tags: NamedRef[] }

const blobPath = (digest: unknown): string => {
  if (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest)) throw invalid(`invalid image archive: bad digest ${String(digest)}`)
  return `blobs/sha256/${digest.slice(7)}`
}

const tagsOf = (names: unknown): NamedRef[] => Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string').map(n => parseNamed(n)) : []

/** The images an archive holds, from manifest.json or else index.json. */
async function describe (spool: Spool): Promise<Described[]> {
  if (spool.has('manifest.json')) {
    const manifest = await spool.json('manifest.json') as unknown
    if (!Array.isArray(manifest)) throw invalid('invalid image archive: manifest.json is not a list')
    return manifest.map((m: any) => {
      if (typeof m?.Config !== 'string' || !Array.isArray(m.Layers)) throw invalid('invalid image archive: a manifest.json entry lacks Config or Layers')
      return { config: m.Config, layers: m.Layers.map(String), tags: tagsOf(m.RepoTags) }
    })
  }
  if (!spool.has('index.json')) throw invalid('invalid image archive: neither manifest.json nor index.json found')
  const out: Described[] = []
  const walk = async (index: any, depth: number): Promise<void> => {
    for (const d of Array.isArray(index?.manifests) ? index.manifests : []) {
      const doc = await spool.json(blobPath(d.digest))
      if (Array.isArray(doc.manifests) && depth < 2) { await walk(doc, depth + 1); continue }
      if (doc.config === undefined || !Array.isArray(doc.layers)) continue
      const name = d.annotations?.['io.containerd.image.name']
      out.push({ config: blobPath(doc.config.digest), layers: doc.layers.map((l: any) => blobPath(l.digest)), tags: typeof name === 'string' ? [parseNamed(name)] : [] })
    }
  }
  await walk(await spool.json('index.json'), 0)
  if (out.length === 0) throw invalid('invalid image archive: index.json lists no image manifest')
  return out
}

/** Loads every image of a docker-save archive into `store`; `work` is an empty scratch dir. */
export async function readArchive (store: LayerSink, input: Readable, work: string): Promise<LoadedImage[]> {
  const spool = new Spool(work)
  await spool.read(input)
  const images = await describe(spool)
  const loaded: LoadedImage[] = []
  const pins: string[] = []
  try {
    for (const img of images) {
      const bytes = await readFile(spool.path(img.config))
      const doc = (() => { try { return JSON.parse(bytes.toString('utf8')) } catch (err) { throw invalid(`invalid image archive: ${img.config} is not JSON`, err) } })()
      const diffIds: unknown = doc?.rootfs?.diff_ids
      if (!Array.isArray(diffIds) || diffIds.length !== img.layers.length) throw invalid(`invalid image archive: ${img.config} lists ${Array.isArray(diffIds) ? diffIds.length : 0} layers, the manifest ${img.layers.length}`)
      for (const [i, layer] of img.layers.entries()) {
        const want = diffIds[i] as string
        if (store.hasLayer(want)) { store.pin(want); pins.push(want); continue }
        const got = await store.addLayer(createReadStream(spool.path(layer)))
        pins.push(got.diffId)
        if (got.diffId !== want) throw invalid(`invalid image archive: layer ${layer} has diffID ${got.diffId}, the config says ${want}`)
      }
      const rec = await store.commit(bytes, img.tags)
      loaded.push({ id: rec.id, tags: img.tags.map(t => familiarKey(`${t.name}:${t.tag}`)) })
    }
  } finally {
    store.release(pins)
  }
  return loaded
}

/** A picked image and the stored tag keys to save it under. */
export interface SavePick { rec: ImageRecord, keys: string[] }

const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`

/** Streams a docker-save archive of the picked images. */
export function writeArchive (store: ImageSource, picks: SavePick[]): Readable {
  const pack = tar.pack()
  const put = (name: string, body: Buffer | string): Promise<void> => new Promise((resolve, reject) => {
    pack.entry({ name, mode: 0o644, mtime: new Date(0) }, body, err => err ? reject(err) : resolve())
  })
  const byId = new Map<string, SavePick>()
  for (const p of picks) {
    const seen = byId.get(p.rec.id)
    byId.set(p.rec.id, seen === undefined ? { rec: p.rec, keys: [...p.keys] } : { rec: p.rec, keys: [...new Set([...seen.keys, ...p.keys])] })
  }
  void (async () => {
    pack.entry({ name: 'blobs', type: 'directory', mode: 0o755, mtime: new Date(0) })
    pack.entry({ name: 'blobs/sha256', type: 'directory', mode: 0o755, mtime: new Date(0) })
    const written = new Set<string>()
    const manifest: unknown[] = []
    const index: unknown[] = []
    const repositories: Record<string, Record<string, string>> = {}
    for (const { rec, keys } of byId.values()) {
      for (const d of rec.diffIds) {
        if (written.has(d)) continue
        written.add(d)
        const tar = await store.layerTar(d)
        const src = await tar.open()
        await new Promise<void>((resolve, reject) => {
          const entry = pack.entry({ name: blobPath(d), size: tar.size, mode: 0o644, mtime: new Date(0) }, err => err ? reject(err) : resolve())
          pipeline(src, entry).catch(reject)
        })
      }
      const config = await store.configBytes(rec.id)
      if (!written.has(rec.id)) { written.add(rec.id); await put(blobPath(rec.id), config) }
      const ociManifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: rec.id, size: config.length },
        layers: await Promise.all(rec.diffIds.map(async d => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d, size: (await store.layerTar(d)).size })))
      })
      const mDigest = sha256(ociManifest)
      if (!written.has(mDigest)) { written.add(mDigest); await put(blobPath(mDigest), ociManifest) }
      const desc = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: mDigest, size: Buffer.byteLength(ociManifest) }
      if (keys.length === 0) index.push(desc)
      for (const k of keys) {
        const { name, tag } = splitKey(k)
        index.push({ ...desc, annotations: { 'io.containerd.image.name': k, 'org.opencontainers.image.ref.name': tag } })
        ;(repositories[familiarName(name)] ??= {})[tag] = rec.id.slice(7)
      }
      manifest.push({ Config: blobPath(rec.id), RepoTags: keys.length > 0 ? keys.map(familiarKey) : null, Layers: rec.diffIds.map(blobPath) })
    }
    await put('index.json', JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: index }))
    await put('manifest.json', JSON.stringify(manifest))
    await put('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }))
    if (Object.keys(repositories).length > 0) await put('repositories', JSON.stringify(repositories))
    pack.finalize()
  })().catch(err => pack.destroy(err as Error))
  return pack as unknown as Readable
}
