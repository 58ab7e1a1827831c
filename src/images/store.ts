/**
 * The local image store. On disk, under its dir (`<root>/images`):
 *
 *   configs/<hex>.json      an image config, the exact bytes whose sha256 is the image id
 *   layers/<hex>/           a layer, named by its diffID; a dir that exists is complete:
 *     fs/                     the unpacked layer (an overlay lowerdir)
 *     layer.tar               its uncompressed tar, so `docker save` gives the same diffID; or
 *     blob                    the compressed blob a registry served (a hard link to the
 *                             verified download): save gunzips it, push sends it as it is
 *     size.json               { size: bytes of file content, tarSize, blob?: { digest, size, mediaType } }
 *   repositories.json       { version, tags: { "docker.io/library/bb:latest": "sha256:..." },
 *                             digests: { "docker.io/library/bb@sha256:<manifest>": "sha256:..." } }
 *   tmp/                    layers being unpacked; emptied at start-up
 *   registry-blobs.json     which registry blobs hold which layers (registry/blobs.ts)
 *   ingest/<hex>            registry downloads, whole or partial, kept so that a pull
 *                           resumes them (registry/ingest.ts); pruned after INGEST_DAYS
 *
 * Layers are unpacked into tmp/ and renamed into place. Every change to
 * configs and tags is serialised, written atomically, and made on disk before
 * memory. A layer no image refers to is removed after the image that last did.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { link, mkdtemp, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import type { Logger } from 'pino'
import { invalid, noSuchImage } from '../errors.js'
import { ensureDir, fsyncDir, readIfExists, removeTree, writeFileAtomic } from '../store/atomic.js'
import { applyChanges } from './changes.js'
import { familiarKey, fullIdHex, parseNamed, parsePullRef, parseRepoTag, refKey, splitKey, type NamedRef } from './reference.js'
import { decompressed, unpackLayer, type Unpacked } from './tar.js'
import { readArchive, writeArchive, type LoadedImage } from './archive.js'
import type { EventBus } from '../events/bus.js'
import { HOST_ARCH, type HistoryEntry, type ImageConfig, type ImageRecord, type KeptBlob, type LayerTar } from './types.js'
import { configProblem } from './config-check.js'
import { familiarRef, isDigestKey, planRemoval, pruneOrder, removalItems, removedLayers, type DeleteItem, type ImageUser } from './removal.js'

export type { HistoryEntry, ImageConfig, ImageRecord } from './types.js'

/** Returns a container that uses the image, or undefined. */
export type IsUsed = (imageId: string) => ImageUser | undefined

const notUsed: IsUsed = () => undefined

export interface ImageStoreOptions {
  /** Which container (if any) uses an image; the container manager supplies it. */
  isUsed?: IsUsed
  /** Waits for removed containers' background clean-ups: until then their rootfs may still stand on an image's layers. */
  settled?: () => Promise<void>
  /** Where Docker's image events go (none when absent). */
  events?: EventBus
  /** Called after layers were collected (the remapped copies of gone layers go too). */
  collected?: () => Promise<void>
}

/** What import takes besides the tar. */
export interface ImportOptions {
  repo?: string
  tag?: string
  /** Dockerfile instructions (CMD, ENV, ...), as `docker import --change` sends them. */
  changes?: string[]
  message?: string
}

/** What docker commit gives the store besides the layer. */
export interface CommitOptions {
  /** The image the container was made from: its layers and history come first. */
  parent: ImageRecord
  config: ImageConfig
  tags: NamedRef[]
  /** The container's id (the config's `container` field). */
  container: string
  /** The history entry's created_by: the container's command. */
  createdBy: string
  comment?: string
  author?: string
}

/** The parsed image config document (OCI image-spec config.md). */
interface ConfigDoc {
  architecture?: string
  os?: string
  created?: string
  author?: string
  comment?: string
  config?: ImageConfig | null
  container?: string
  /** The image a commit was made from: moby's image config field of that name. */
  parent?: string
  rootfs?: { type?: string, diff_ids?: string[] }
  history?: HistoryEntry[]
}

const INDEX_VERSION = 1

/** A layer dir's size.json. */
interface LayerMeta { size: number, tarSize?: number, blob?: Omit<KeptBlob, 'file'> }


const hexOf = (digest: string): string => digest.replace(/^sha256:/, '')
/** The diffID of a tar with no entries (two zero blocks): a commit that changed nothing adds no layer, as in Docker. */
const EMPTY_LAYER = `sha256:${createHash('sha256').update(Buffer.alloc(1024)).digest('hex')}`
const DIGEST = /^sha256:[0-9a-f]{64}$/
/** Days an unfinished registry download is kept in ingest/. */
const INGEST_DAYS = 7

/** The local images of one berthd. */
export class ImageStore {
  readonly paths
  private readonly images = new Map<string, ImageRecord>()
  /** Stored key ('docker.io/library/bb:latest') → image id. */
  private readonly tags = new Map<string, string>()
  /** Stored digest key ('docker.io/library/bb@sha256:…', the manifest a pull got) → image id. */
  private readonly digests = new Map<string, string>()
  private readonly layerSizes = new Map<string, number>()
  /** Layers kept as their registry blob, and their uncompressed tars' sizes. */
  private readonly layerBlobs = new Map<string, { blob: KeptBlob, tarSize: number }>()
  /** Layers an unfinished import or load has unpacked and not yet committed: never collected. */
  private readonly pinned = new Map<string, number>()
  private queue: Promise<unknown> = Promise.resolve()

  constructor (readonly dir: string, private readonly log: Logger, private readonly opts: ImageStoreOptions = {}) {
    this.paths = {
      configs: join(dir, 'configs'),
      layers: join(dir, 'layers'),
      tmp: join(dir, 'tmp'),
      ingest: join(dir, 'ingest'),
      index: join(dir, 'repositories.json')
    }
  }

  /** Makes the dirs, removes half-done unpacks and deletions, and loads configs, layers and tags. */
  async init (): Promise<void> {
    await rm(this.paths.tmp, { recursive: true, force: true })
    for (const d of [this.paths.configs, this.paths.layers, this.paths.tmp, this.paths.ingest]) await ensureDir(d)
    await this.pruneIngest()
    for (const name of await readdir(this.paths.layers)) {
      if (name.startsWith('.')) { await rm(join(this.paths.layers, name), { recursive: true, force: true }); continue }
      const meta = await readIfExists(join(this.paths.layers, name, 'size.json'))
      const m = meta === undefined ? undefined : JSON.parse(meta) as LayerMeta
      this.layerSizes.set(`sha256:${name}`, m?.size ?? 0)
      if (m?.blob !== undefined) this.layerBlobs.set(`sha256:${name}`, { blob: { ...m.blob, file: join(this.paths.layers, name, 'blob') }, tarSize: m.tarSize ?? 0 })
    }
    const docs = new Map<string, ConfigDoc>()
    for (const name of await readdir(this.paths.configs)) {
      if (name.startsWith('.') || !name.endsWith('.json')) continue
      const id = `sha256:${name.slice(0, -'.json'.length)}`
      try {
        docs.set(id, JSON.parse(await readFile(join(this.paths.configs, name), 'utf8')) as ConfigDoc)
      } catch (err) {
        this.log.error({ err, id }, 'unreadable image config skipped')
      }
    }
    const index = await readIfExists(this.paths.index)
    const { tags, digests } = index === undefined ? { tags: {}, digests: {} } : JSON.parse(index) as { tags: Record<string, string>, digests?: Record<string, string> }
    for (const [key, id] of Object.entries(tags)) if (docs.has(id)) this.tags.set(key, id)
    for (const [key, id] of Object.entries(digests ?? {})) if (docs.has(id)) this.digests.set(key, id)
    for (const [id, doc] of docs) this.images.set(id, this.recordOf(id, doc))
    this.log.info({ images: this.images.size, layers: this.layerSizes.size }, 'images loaded')
  }

  /**
   * Finds an image by name[:tag] (default tag latest; docker.io/library/
   * and library/ prefixes normalised), full id or unique id prefix, with or
   * without 'sha256:'. Throws NOT_FOUND `No such image: <ref>`.
   */
  resolve (ref: string): ImageRecord {
    return this.lookup(ref).rec
  }

  /** Like resolve, and says which stored tag or digest key `ref` named, if not an id. */
  private lookup (ref: string): { rec: ImageRecord, key?: string } {
    const full = fullIdHex(ref)
    if (full !== undefined) {
      const rec = this.images.get(`sha256:${full}`)
      if (rec !== undefined) return { rec }
    }
    let key: string | undefined
    try {
      const pulled = ref.includes('@') ? parsePullRef(ref) : undefined
      key = pulled?.digest !== undefined ? `${pulled.name}@${pulled.digest}` : refKey(parseNamed(ref))
    } catch {}
    const id = key === undefined ? undefined : isDigestKey(key) ? this.digests.get(key) : this.tags.get(key)
    if (id !== undefined) return { rec: this.images.get(id)!, key }
    const prefix = /^(?:sha256:)?([0-9a-f]{1,64})$/.exec(ref)?.[1]
    if (prefix !== undefined) {
      const hits = [...this.images.keys()].filter(id => id.startsWith(`sha256:${prefix}`))
      if (hits.length === 1) return { rec: this.images.get(hits[0]!)! }
      if (hits.length > 1) throw invalid(`image reference ${ref} is ambiguous: ${hits.length} images match`)
    }
    throw noSuchImage(ref)
  }

  /** Every image, newest first. */
  list (): ImageRecord[] {
    return [...this.images.values()].sort((a, b) => b.created.localeCompare(a.created))
  }

  /** Stored tag keys ('docker.io/library/bb:latest') of an image. */
  keysOf (id: string): string[] {
    return [...this.tags].filter(([, v]) => v === id).map(([k]) => k).sort()
  }

  /** The image id a stored tag key points at. */
  tagged (key: string): string | undefined { return this.tags.get(key) }

  /** The image id a stored digest key ('docker.io/library/bb@sha256:…') points at. */
  digested (key: string): string | undefined { return this.digests.get(key) }

  /** Registry downloads kept across pulls and restarts. */
  get ingestDir (): string { return this.paths.ingest }

  /** The record of which registry blobs hold which layers (registry/blobs.ts). */
  get blobsFile (): string { return join(this.dir, 'registry-blobs.json') }

  /** Removes downloads untouched for INGEST_DAYS: a pull given up that long ago is not coming back. */
  private async pruneIngest (): Promise<void> {
    const cutoff = Date.now() - INGEST_DAYS * 24 * 3600 * 1000
    for (const name of await readdir(this.paths.ingest)) {
      const file = join(this.paths.ingest, name)
      const st = await stat(file).catch(() => undefined)
      if (st !== undefined && st.mtimeMs < cutoff) await rm(file, { recursive: true, force: true })
    }
  }

  /** A new scratch dir under tmp/ (emptied at start-up); the caller removes it. */
  async scratch (prefix: string): Promise<string> { return await mkdtemp(join(this.paths.tmp, prefix)) }

  /** Docker's pull event: the actor is the pulled reference, not the image id. */
  pulled (ref: string, name: string): void { this.event('pull', ref, name) }

  /** Docker's push event, named as the pull event is. */
  pushed (ref: string, name: string): void { this.event('push', ref, name) }

  /** The exact stored config bytes of an image. */
  async configBytes (id: string): Promise<Buffer> {
    return await readFile(join(this.paths.configs, `${hexOf(id)}.json`))
  }

  /** The dir of a layer (holding fs/, and layer.tar or blob). */
  layerPath (diffId: string): string { return join(this.paths.layers, hexOf(diffId)) }

  /** A layer's uncompressed tar: read from the kept copy, or gunzipped from the kept registry blob. */
  async layerTar (diffId: string): Promise<LayerTar> {
    const kept = this.layerBlobs.get(diffId)
    if (kept !== undefined) return { size: kept.tarSize, blob: kept.blob, open: async () => await decompressed(createReadStream(kept.blob.file)) }
    const file = join(this.layerPath(diffId), 'layer.tar')
    return { size: (await stat(file)).size, file, open: async () => createReadStream(file) }
  }

  /** True when the layer is in the store. */
  hasLayer (diffId: string): boolean { return this.layerSizes.has(diffId) }

  /**
   * Docker's disk usage of images: the bytes of every stored layer, and per
   * image the bytes of its layers that another image uses too (SharedSize).
   */
  layerUsage (): { layersSize: number, sharedSize: (rec: ImageRecord) => number } {
    const users = new Map<string, number>()
    for (const rec of this.images.values()) for (const d of new Set(rec.diffIds)) users.set(d, (users.get(d) ?? 0) + 1)
    return {
      layersSize: [...this.layerSizes.values()].reduce((n, size) => n + size, 0),
      sharedSize: rec => [...new Set(rec.diffIds)].filter(d => (users.get(d) ?? 0) > 1).reduce((n, d) => n + (this.layerSizes.get(d) ?? 0), 0)
    }
  }

  /**
   * Unpacks a layer tar (plain or gzip) and moves it into place, pinned so
   * that no removal collects it before `release`. With `blob` (the verified
   * registry blob `input` was read from), that file is linked in instead of
   * an uncompressed copy being written. Throws INVALID_ARGUMENT for a bad or
   * unsafe tar; nothing of it is left then.
   */
  async addLayer (input: Readable, blob?: KeptBlob): Promise<Unpacked> {
    const tmp = await mkdtemp(join(this.paths.tmp, 'layer-'))
    try {
      await mkdir(join(tmp, 'fs'), { mode: 0o755 })
      const u = await unpackLayer(input, join(tmp, 'fs'), blob === undefined ? join(tmp, 'layer.tar') : undefined)
      // Linked only now: `input` ends only after the download was verified.
      if (blob !== undefined) await link(blob.file, join(tmp, 'blob'))
      const meta: LayerMeta = { size: u.size, tarSize: u.tarSize, ...blob !== undefined ? { blob: { digest: blob.digest, size: blob.size, mediaType: blob.mediaType } } : {} }
      await writeFileAtomic(join(tmp, 'size.json'), JSON.stringify(meta))
      this.pin(u.diffId)
      try {
        await rename(tmp, this.layerPath(u.diffId))
        await fsyncDir(this.paths.layers)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') { this.release([u.diffId]); throw err }
        await rm(tmp, { recursive: true, force: true }) // the same layer is already there, kept as it was
        this.layerSizes.set(u.diffId, u.size)
        return u
      }
      this.layerSizes.set(u.diffId, u.size)
      if (blob !== undefined) this.layerBlobs.set(u.diffId, { blob: { ...blob, file: join(this.layerPath(u.diffId), 'blob') }, tarSize: u.tarSize })
      return u
    } catch (err) {
      await rm(tmp, { recursive: true, force: true })
      throw err
    }
  }

  /** Keeps a layer from being collected until `release`. */
  pin (diffId: string): void { this.pinned.set(diffId, (this.pinned.get(diffId) ?? 0) + 1) }

  /** Ends `pin`s; layers no image uses are then collected. */
  release (diffIds: string[]): void {
    for (const d of diffIds) {
      const n = (this.pinned.get(d) ?? 1) - 1
      if (n <= 0) this.pinned.delete(d); else this.pinned.set(d, n)
    }
    void this.serial(async () => { await this.collectLayers() }).catch(err => this.log.error({ err }, 'layer collection failed'))
  }

  /**
   * Stores an image config (exact bytes) whose layers are all in the store,
   * and points `tags` and `repoDigests` (stored `name@sha256:…` keys) at it.
   * Returns the record.
   */
  async commit (bytes: Buffer, tags: NamedRef[], repoDigests: string[] = []): Promise<ImageRecord> {
    let doc: ConfigDoc
    try { doc = JSON.parse(bytes.toString('utf8')) as ConfigDoc } catch (err) { throw invalid('invalid image config: not JSON', err) }
    const problem = configProblem(doc)
    if (problem !== undefined) throw invalid(`invalid image config: ${problem}`)
    const diffIds = doc.rootfs?.diff_ids
    if (!Array.isArray(diffIds) || !diffIds.every(d => typeof d === 'string' && DIGEST.test(d))) throw invalid('invalid image config: rootfs.diff_ids must be sha256 digests')
    const missing = diffIds.find(d => !this.hasLayer(d))
    if (missing !== undefined) throw invalid(`invalid image: layer ${missing} is missing`)
    const id = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
    return await this.serial(async () => {
      if (!this.images.has(id)) await writeFileAtomic(join(this.paths.configs, `${hexOf(id)}.json`), bytes)
      const next = new Map(this.tags)
      for (const t of tags) next.set(refKey(t), id)
      const nextDigests = new Map(this.digests)
      for (const d of repoDigests) nextDigests.set(d, id)
      if (tags.length > 0 || repoDigests.length > 0) await this.writeIndex(next, nextDigests)
      this.replaceTags(next)
      for (const d of repoDigests) this.digests.set(d, id)
      this.images.set(id, this.recordOf(id, doc))
      this.refreshTags()
      return this.images.get(id)!
    })
  }

  /** `docker import`: one layer from a rootfs tar, a config from `changes`. */
  async importTar (input: Readable, opts: ImportOptions = {}): Promise<ImageRecord> {
    const tags = opts.repo === undefined || opts.repo === '' ? [] : [parseRepoTag(opts.repo, opts.tag)]
    const config = applyChanges({}, opts.changes ?? [])
    const layer = await this.addLayer(input)
    try {
      const created = new Date().toISOString()
      const comment = opts.message !== undefined && opts.message !== '' ? opts.message : 'Imported from -'
      const doc = {
        architecture: HOST_ARCH,
        comment,
        config,
        created,
        history: [{ created, comment }],
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [layer.diffId] }
      }
      const rec = await this.commit(Buffer.from(JSON.stringify(doc)), tags)
      this.event('import', rec.id, tags[0] !== undefined ? familiarKey(refKey(tags[0])) : rec.id)
      return rec
    } finally {
      this.release([layer.diffId])
    }
  }

  /**
   * `docker commit`: the container's diff (a layer tar) on top of its
   * image's layers, with `config`, and a history entry for it.
   */
  async commitContainer (diff: Readable, opts: CommitOptions): Promise<ImageRecord> {
    const layer = await this.addLayer(diff)
    try {
      const parent = JSON.parse((await this.configBytes(opts.parent.id)).toString('utf8')) as ConfigDoc
      const empty = layer.diffId === EMPTY_LAYER
      const created = new Date().toISOString()
      const comment = opts.comment ?? ''
      const author = opts.author ?? ''
      // An image without history gets one entry per layer, so that entries and layers still pair up.
      const history = opts.parent.history.length > 0 ? opts.parent.history : opts.parent.diffIds.map(() => ({ created: opts.parent.created }))
      const doc = {
        architecture: parent.architecture ?? HOST_ARCH,
        ...(author !== '' ? { author } : {}),
        ...(comment !== '' ? { comment } : {}),
        config: opts.config,
        container: opts.container,
        created,
        parent: opts.parent.id,
        history: [...history, { created, created_by: opts.createdBy, ...(author !== '' ? { author } : {}), ...(comment !== '' ? { comment } : {}), ...(empty ? { empty_layer: true } : {}) }],
        os: parent.os ?? 'linux',
        rootfs: { type: 'layers', diff_ids: empty ? opts.parent.diffIds : [...opts.parent.diffIds, layer.diffId] }
      }
      const rec = await this.commit(Buffer.from(JSON.stringify(doc)), opts.tags)
      // Docker tags a committed image as a separate step, with its own event.
      for (const t of opts.tags) this.event('tag', rec.id, familiarKey(refKey(t)))
      return rec
    } finally {
      this.release([layer.diffId])
    }
  }

  /** `docker load`: every image of a `docker save` archive (Docker or OCI layout, plain or gzip). */
  async load (input: Readable): Promise<LoadedImage[]> {
    const work = await mkdtemp(join(this.paths.tmp, 'load-'))
    try {
      const loaded = await readArchive(this, input, work)
      for (const img of loaded) this.event('load', img.id, img.tags[0] ?? img.id)
      return loaded
    } finally {
      await rm(work, { recursive: true, force: true })
    }
  }

  /** `docker save`: a tar in docker-save format (OCI layout plus manifest.json) holding the named images. */
  save (refs: string[]): Readable {
    const picks = refs.map(ref => {
      const { rec, key } = this.lookup(ref)
      let keys: string[] = []
      if (key !== undefined && !isDigestKey(key)) {
        // A name without a tag saves every tag of that repository, as Docker does.
        const explicit = /:[^/]*$/.test(ref)
        keys = explicit ? [key] : this.keysOf(rec.id).filter(k => splitKey(k).name === splitKey(key).name)
      }
      return { rec, keys }
    })
    return writeArchive(this, picks)
  }

  /** Points `repo:tag` at the image `ref` names. */
  async tag (ref: string, repo: string, tag: string | undefined): Promise<void> {
    const target = parseRepoTag(repo, tag)
    const { rec } = this.lookup(ref)
    await this.serial(async () => {
      if (!this.images.has(rec.id)) throw noSuchImage(ref)
      const next = new Map(this.tags)
      next.set(refKey(target), rec.id)
      await this.writeIndex(next)
      this.replaceTags(next)
      this.refreshTags()
      this.event('tag', rec.id, familiarKey(refKey(target)))
    })
  }

  /** Docker's image delete (removal.ts decides): the references untagged, the image and its dropped layers deleted. */
  async remove (ref: string, opts: { force?: boolean, isUsed?: IsUsed } = {}): Promise<DeleteItem[]> {
    await this.opts.settled?.()
    return await this.serial(async () => {
      const { rec, key } = this.lookup(ref)
      const refs = [...this.keysOf(rec.id), ...this.digestKeysOf(rec.id)]
      const plan = planRemoval({ ref, id: rec.id, key, refs, force: opts.force ?? false, user: (opts.isUsed ?? this.opts.isUsed ?? notUsed)(rec.id) })
      await this.untag(plan.untag)
      const layers = plan.remove ? await this.deleteImage(rec) : []
      if (plan.remove) await this.collectLayers()
      this.refreshTags()
      const out = removalItems(plan.untag, plan.remove ? { id: rec.id, layers } : undefined)
      this.itemEvents(rec.id, plan.untag, plan.remove)
      return out
    })
  }

  /** Removes dangling images (or, with dangling false, every unused one); the space is that of the layers dropped, as moby counts it. */
  async prune (opts: { dangling?: boolean, isUsed?: IsUsed } = {}): Promise<{ deleted: DeleteItem[], reclaimed: number }> {
    const danglingOnly = opts.dangling ?? true
    const isUsed = opts.isUsed ?? this.opts.isUsed ?? notUsed
    await this.opts.settled?.()
    return await this.serial(async () => {
      const victims = [...this.images.values()].filter(r => (!danglingOnly || this.keysOf(r.id).length === 0) && isUsed(r.id) === undefined)
      const untags = victims.map(v => pruneOrder(this.keysOf(v.id), this.digestKeysOf(v.id)))
      await this.untag(untags.flat())
      const deleted: DeleteItem[] = []
      let reclaimed = 0
      for (const [i, v] of victims.entries()) {
        const layers = await this.deleteImage(v)
        for (const l of layers) reclaimed += this.layerSizes.get(l.diffId) ?? 0
        deleted.push(...removalItems(untags[i]!, { id: v.id, layers }))
        this.itemEvents(v.id, untags[i]!, true)
      }
      if (victims.length > 0) await this.collectLayers()
      this.refreshTags()
      return { deleted, reclaimed }
    })
  }

  /** Docker's history of an image: newest first; the top entry carries the id and tags. */
  history (ref: string): Array<{ Id: string, Created: number, CreatedBy: string, Tags: string[] | null, Size: number, Comment: string }> {
    const rec = this.resolve(ref)
    const hist: HistoryEntry[] = rec.history.length > 0 ? rec.history : rec.diffIds.map(() => ({ created: rec.created }))
    let layer = 0
    const rows = hist.map(h => {
      const size = h.empty_layer === true ? 0 : this.layerSizes.get(rec.diffIds[layer++] ?? '') ?? 0
      return { Id: '<missing>', Created: Math.floor(Date.parse(h.created ?? rec.created) / 1000) || 0, CreatedBy: h.created_by ?? '', Tags: null as string[] | null, Size: size, Comment: h.comment ?? '' }
    }).reverse()
    rows[0] = { ...rows[0]!, Id: rec.id, Tags: rec.repoTags.length > 0 ? rec.repoTags : null }
    return rows
  }

  private recordOf (id: string, doc: ConfigDoc): ImageRecord {
    const diffIds = doc.rootfs?.diff_ids ?? []
    return {
      id,
      config: doc.config ?? {},
      diffIds,
      layerDirs: diffIds.map(d => join(this.layerPath(d), 'fs')),
      created: doc.created ?? new Date(0).toISOString(),
      size: diffIds.reduce((n, d) => n + (this.layerSizes.get(d) ?? 0), 0),
      repoTags: this.keysOf(id).map(familiarKey),
      repoDigests: this.digestsOf(id),
      architecture: doc.architecture ?? '',
      os: doc.os ?? 'linux',
      author: doc.author ?? '',
      comment: doc.comment ?? '',
      container: doc.container ?? '',
      parent: doc.parent ?? '',
      history: doc.history ?? []
    }
  }

  private replaceTags (next: Map<string, string>): void {
    this.tags.clear()
    for (const [k, v] of next) this.tags.set(k, v)
  }

  private refreshTags (): void {
    for (const rec of this.images.values()) { rec.repoTags = this.keysOf(rec.id).map(familiarKey); rec.repoDigests = this.digestsOf(rec.id) }
  }

  /** Stored digest keys ('docker.io/library/bb@sha256:…') of an image. */
  private digestKeysOf (id: string): string[] {
    return [...this.digests].filter(([, v]) => v === id).map(([k]) => k).sort()
  }

  /** Familiar `name@sha256:…` of an image's digests. */
  private digestsOf (id: string): string[] { return this.digestKeysOf(id).map(familiarRef) }

  /** Drops tag and digest keys: on disk first, then in memory. */
  private async untag (keys: string[]): Promise<void> {
    if (keys.length === 0) return
    const tags = new Map([...this.tags].filter(([k]) => !keys.includes(k)))
    const digests = new Map([...this.digests].filter(([k]) => !keys.includes(k)))
    await this.writeIndex(tags, digests)
    this.replaceTags(tags)
    for (const k of keys) this.digests.delete(k)
  }

  /** Writes the tags and digests; a deleted image's digests may linger on disk until the next write (init skips them). */
  private async writeIndex (tags: Map<string, string>, digests: Map<string, string> = this.digests): Promise<void> {
    await writeFileAtomic(this.paths.index, JSON.stringify({ version: INDEX_VERSION, tags: Object.fromEntries([...tags].sort()), digests: Object.fromEntries([...digests].sort()) }, null, 2))
  }

  /** Deletes an image's config; returns the layers Docker's store would drop with it (collectLayers removes them). */
  private async deleteImage (rec: ImageRecord): Promise<ReturnType<typeof removedLayers>> {
    await rm(join(this.paths.configs, `${hexOf(rec.id)}.json`), { force: true })
    await fsyncDir(this.paths.configs)
    this.images.delete(rec.id)
    for (const [k, v] of [...this.digests]) if (v === rec.id) this.digests.delete(k)
    return removedLayers(rec.diffIds, [...this.images.values()].map(r => r.diffIds))
  }

  /** Removes layers no image and no unfinished import uses; returns the bytes freed. */
  private async collectLayers (): Promise<number> {
    const used = new Set([...this.images.values()].flatMap(r => r.diffIds))
    let freed = 0
    for (const [d, size] of [...this.layerSizes]) {
      if (used.has(d) || this.pinned.has(d)) continue
      await removeTree(this.layerPath(d))
      this.layerSizes.delete(d)
      this.layerBlobs.delete(d)
      freed += size
    }
    await this.opts.collected?.()
    return freed
  }

  /** Emits Docker's image event: the image id, and the name it was known by. */
  private event (action: string, id: string, name: string): void {
    this.opts.events?.emit({ Type: 'image', Action: action, Actor: { ID: id, Attributes: { name } } })
  }

  /** Docker's untag events of a removal, and its delete event when the image went (none per layer). */
  private itemEvents (id: string, untagged: string[], deleted: boolean): void {
    for (const k of untagged) this.event('untag', id, familiarRef(k))
    if (deleted) this.event('delete', id, id)
  }

  /** Runs store changes one at a time. */
  private serial<T> (fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn)
    this.queue = p.catch(() => {})
    return p
  }
}

