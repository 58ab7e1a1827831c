/**
 * `docker push`: an image of the store sent to its registry, with Docker's
 * JSON progress messages (moby distribution/push_v2.go, xfer/upload.go).
 *
 * An image pulled from a registry goes up as what it was pulled as (its
 * kept manifest, and the index it came from where the registry has the
 * index's other manifests: manifests.ts), so its digest does not change;
 * any other as a Docker v2 schema 2 manifest, as moby writes it. A layer the
 * store keeps as the blob it was pulled as is sent as it is; another is
 * gzipped while it streams to the registry, in chunks (PATCHes of an upload
 * session, then a PUT with the digest the stream had), unless the layer is
 * known as a blob the registry has (HEAD: `Layer already exists`) or can
 * mount from another repository (`Mounted from`). The config goes up as it
 * is stored, so the image id a pull computes is the pushed image's. The
 * manifest's digest becomes one of the image's RepoDigests, as Docker
 * records it. The registry is reached as a pull reaches it (hosts.ts), but
 * never through a mirror: credentials go only to the registry itself.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { Transform, pipeline, type Readable } from 'node:stream'
import { createGzip } from 'node:zlib'
import { Slots } from '../async.js'
import { BerthError, noLocalTag, registryFailed } from '../errors.js'
import { familiarName, parseRepoTag, refKey, shortId, splitDomain, splitKey } from '../images/reference.js'
import type { ImageRecord, LayerSink, LayerTar } from '../images/types.js'
import type { AuthConfig } from './auth.js'
import { knownBlobsIn, type KnownBlobs } from './blobs.js'
import { ACCEPT, firstEndpoint, MEDIA, Registry, registryError } from './client.js'
import { upstreamEndpoints, type Endpoint, type RegistryHosts } from './hosts.js'
import { pruneManifests, pulledAs, type KeptManifest, type PulledAs } from './manifests.js'

/** moby's default max-concurrent-uploads. */
const UPLOADS = 5
/** Bytes of a PATCH of a chunked upload: at most two in memory per upload (one read, one sent). */
const CHUNK = 8 * 1024 * 1024
const PROGRESS_MS = 100
const CONFIG_MEDIA = 'application/vnd.docker.container.image.v1+json'
const LAYER_MEDIA = 'application/vnd.docker.image.rootfs.diff.tar.gzip'
const GZIP_LAYERS = new Set([LAYER_MEDIA, 'application/vnd.oci.image.layer.v1.tar+gzip'])

/** What a push needs of the store. */
export interface PushSource extends Pick<LayerSink, 'pin' | 'release' | 'commit'> {
  resolve: (ref: string) => ImageRecord
  list: () => ImageRecord[]
  keysOf: (id: string) => string[]
  layerTar: (diffId: string) => Promise<LayerTar>
  /** Where the store's record of registry blobs is kept (blobs.ts). */
  readonly blobsFile: string
  configBytes: (id: string) => Promise<Buffer>
  pushed: (ref: string, name: string) => void
}

/** One line of Docker's JSON progress stream, with a push's aux result. */
export interface PushProgress { status?: string, id?: string, progressDetail?: { current?: number, total?: number }, aux?: { Tag: string, Digest: string, Size: number } }

/** A push whose images are known: the full repository name and each tag with its image. */
export interface ResolvedPush { name: string, tags: Array<{ tag: string, id: string }>, auth?: AuthConfig }

/**
 * The images `POST /images/{name}/push?tag=` names: the one tag given (in
 * `tag` or the name), or else every tag of the repository, as moby pushes.
 * Throws INVALID_ARGUMENT for a bad name and NOT_FOUND (Docker's wording)
 * when the store has no such tag, before anything is streamed.
 */
export function resolvePush (store: PushSource, name: string, tag: string | undefined, auth: AuthConfig | undefined): ResolvedPush {
  const ref = parseRepoTag(name, tag)
  const named = (tag !== undefined && tag !== '') || name.lastIndexOf(':') > name.lastIndexOf('/')
  const keys = named ? [refKey(ref)] : store.list().flatMap(r => store.keysOf(r.id)).filter(k => splitKey(k).name === ref.name).sort()
  const tags = keys.flatMap(k => { try { return [{ tag: splitKey(k).tag, id: store.resolve(k).id }] } catch { return [] } })
  if (tags.length === 0) throw noLocalTag(`${familiarName(ref.name)}${named ? `:${ref.tag}` : ''}`)
  return { name: ref.name, tags, ...auth !== undefined ? { auth } : {} }
}

/**
 * The first error a registry's answer names, as Docker shows it mid-stream
 * (`denied: …`), else the status. A 401 after the credentials were sent
 * (a HEAD's has no body) is distribution's `unauthorized: authentication required`.
 */
async function failure (r: { statusCode: number, body: { text: () => Promise<string> } }, what: string): Promise<BerthError> {
  const e = registryError(await r.body.text())
  if (e.code !== '') return registryFailed(`${e.code.toLowerCase()}: ${e.message}`)
  if (r.statusCode === 401) return registryFailed('unauthorized: authentication required')
  return registryFailed(`${what}: the registry answered ${r.statusCode}${e.message !== '' ? ` ${e.message}` : ''}`)
}

/** A blob in the registry's upload protocol: the session a POST opened (its Location), or the blob a mount already linked. */
type Started = { location: string } | { mounted: true }

async function startUpload (reg: Registry, mount?: { digest: string, from: string }): Promise<Started> {
  const query = mount === undefined ? '' : `?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.from)}`
  const scopes = mount === undefined ? undefined : [...reg.scopes, `repository:${mount.from}:pull`]
  const r = await reg.call('POST', `/v2/${reg.path}/blobs/uploads/${query}`, { headers: { 'content-length': '0' }, ...scopes !== undefined ? { scopes } : {} })
  if (r.statusCode === 201 && mount !== undefined) { await r.body.dump(); return { mounted: true } }
  if (r.statusCode !== 202) throw await failure(r, 'starting a blob upload')
  await r.body.dump()
  const location = r.headers.location
  if (typeof location !== 'string' || location === '') throw registryFailed('the registry answered a blob upload with no Location')
  return { location }
}

/** `location` with `key=value` added to its query. */
const withParam = (location: string, key: string, value: string): string => `${location}${location.includes('?') ? '&' : '?'}${key}=${encodeURIComponent(value)}`

/** Ends an upload session with the blob's digest (and, for a monolithic upload, its body). */
async function finishUpload (reg: Registry, location: string, digest: string, body?: Buffer): Promise<void> {
  const r = await reg.call('PUT', withParam(location, 'digest', digest), { headers: { 'content-type': 'application/octet-stream', 'content-length': String(body?.length ?? 0) }, ...body !== undefined ? { body } : {} })
  if (r.statusCode !== 201) throw await failure(r, `uploading blob ${digest}`)
  await r.body.dump()
}

async function blobExists (reg: Registry, digest: string): Promise<boolean> {
  const r = await reg.call('HEAD', `/v2/${reg.path}/blobs/${digest}`)
  if (r.statusCode === 200 || r.statusCode === 404) { await r.body.dump(); return r.statusCode === 200 }
  throw await failure(r, `checking blob ${digest}`)
}

/**
 * Sends `body` to an upload session in PATCHes of CHUNK bytes, each with its
 * Content-Range (the distribution spec's chunked upload), and returns the
 * session's last Location and what is left (less than a chunk: it goes with
 * the closing PUT, so a small layer is one monolithic PUT). Chunks pass a
 * registry or proxy that caps request bodies (nginx's client_max_body_size),
 * and a chunk is at hand to be sent again after a 401, which a streamed body
 * is not. The next chunk is read while one is sent.
 */
async function sendChunks (reg: Registry, location: string, body: Readable, what: string): Promise<{ location: string, rest: Buffer }> {
  let offset = 0
  const send = async (chunk: Buffer): Promise<void> => {
    const r = await reg.call('PATCH', location, { headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.length - 1}`, 'content-length': String(chunk.length) }, body: chunk })
    if (r.statusCode !== 202) throw await failure(r, what)
    await r.body.dump()
    offset += chunk.length
    const next = r.headers.location
    if (typeof next === 'string' && next !== '') location = next
  }
  let sending: Promise<void> = Promise.resolve()
  let parts: Buffer[] = []
  let n = 0
  try {
    for await (const c of body) {
      parts.push(c as Buffer)
      n += (c as Buffer).length
      if (n < CHUNK) continue
      const chunk = Buffer.concat(parts, n)
      parts = []
      n = 0
      await sending
      sending = send(chunk)
      sending.catch(() => {}) // awaited before the next chunk and at the end
    }
  } finally {
    await sending
  }
  return { location, rest: Buffer.concat(parts, n) }
}

/** A layer's blob on the registry: digest, size and media type. */
interface Sent { digest: string, size: number, mediaType: string }

/**
 * Sends one layer: known there (`Layer already exists`), mounted from a
 * repository it is known in (`Mounted from`), or uploaded with `Pushing`
 * progress: the kept blob as it is, else the tar gzipped on the way
 * (progress over the uncompressed bytes, as moby counts them). `want` is the
 * blob the image's kept manifest names: looked for first, so that the
 * manifest can be sent back unchanged.
 */
async function pushLayer (reg: Registry, knownBlobs: KnownBlobs, diffId: string, tar: LayerTar, emit: (p: PushProgress) => void, want?: Sent): Promise<Sent> {
  const id = shortId(diffId)
  const known = knownBlobs.on(diffId, reg.base)
  const kept = tar.blob !== undefined && (tar.blob.digest === want?.digest || GZIP_LAYERS.has(tar.blob.mediaType)) ? tar.blob : undefined
  const typeOf = (digest: string): string => digest === kept?.digest ? kept.mediaType : digest === want?.digest ? want.mediaType : LAYER_MEDIA
  const candidates = [...want !== undefined ? [want.digest] : [], ...known.filter(k => k.repo === reg.path).map(k => k.digest)]
  for (const digest of new Set(candidates)) {
    if (!await blobExists(reg, digest)) continue
    const size = digest === want?.digest ? want.size : known.find(k => k.digest === digest)!.size
    knownBlobs.add(diffId, { digest, size, base: reg.base, repo: reg.path })
    emit({ status: 'Layer already exists', progressDetail: {}, id })
    return { digest, size, mediaType: typeOf(digest) }
  }
  // One mount is tried, from the repository the layer was last seen in (as the kept manifest's blob, if it was); if the registry cannot, the session it opened is used for the upload.
  const others = known.filter(k => k.repo !== reg.path)
  const from = others.find(k => k.digest === want?.digest) ?? others[0]
  const started = await startUpload(reg, from === undefined ? undefined : { digest: from.digest, from: from.repo })
  if ('mounted' in started) {
    knownBlobs.add(diffId, { ...from!, repo: reg.path })
    emit({ status: `Mounted from ${from!.repo}`, progressDetail: {}, id })
    return { digest: from!.digest, size: from!.size, mediaType: typeOf(from!.digest) }
  }
  const total = kept?.size ?? tar.size
  const hash = createHash('sha256')
  let size = 0
  let current = 0
  let last = 0
  const meter = new Transform({
    transform (chunk: Buffer, _enc, cb) {
      current += chunk.length
      const now = performance.now()
      if (now - last >= PROGRESS_MS || current === total) { last = now; emit({ status: 'Pushing', progressDetail: { current, total }, id }) }
      cb(null, chunk)
    }
  })
  const counted = new Transform({ transform (chunk: Buffer, _enc, cb) { hash.update(chunk); size += chunk.length; cb(null, chunk) } })
  const body: Readable = kept !== undefined
    ? pipeline(createReadStream(kept.file), meter, counted, () => {})
    : pipeline(await tar.open(), meter, createGzip(), counted, () => {})
  let sent: { location: string, rest: Buffer }
  try {
    sent = await sendChunks(reg, started.location, body, `uploading layer ${id}`)
  } catch (err) {
    body.destroy()
    if (err instanceof BerthError) throw err
    throw registryFailed(`reading layer ${diffId}: ${(err as Error).message}`, err)
  }
  const digest = `sha256:${hash.digest('hex')}`
  await finishUpload(reg, sent.location, digest, sent.rest)
  knownBlobs.add(diffId, { digest, size, base: reg.base, repo: reg.path })
  emit({ status: 'Pushed', progressDetail: {}, id })
  return { digest, size, mediaType: kept?.mediaType ?? LAYER_MEDIA }
}

/** Sends the config blob as it is stored (its digest is the image id) in one PUT. */
async function pushConfig (reg: Registry, id: string, bytes: Buffer): Promise<void> {
  const started = await startUpload(reg) as { location: string }
  await finishUpload(reg, started.location, id, bytes)
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`

/** What image `id` was pulled as, and its manifest's layers, when that manifest fits the image (its config, as many layers). */
function keptFor (blobsFile: string, id: string, layers: number): { pulled: PulledAs, layers: Sent[] } | undefined {
  const pulled = pulledAs(blobsFile, id)
  if (pulled === undefined) return undefined
  let doc: any
  try { doc = JSON.parse(pulled.manifest.bytes.toString('utf8')) } catch { return undefined }
  if (doc?.config?.digest !== id || !Array.isArray(doc.layers) || doc.layers.length !== layers) return undefined
  if (pulled.manifest.mediaType === '') pulled.manifest.mediaType = MEDIA.ociManifest
  return { pulled, layers: (doc.layers as any[]).map(l => ({ digest: String(l?.digest), size: Number(l?.size) || 0, mediaType: String(l?.mediaType) })) }
}

async function putManifest (reg: Registry, ref: string, m: KeptManifest): Promise<void> {
  const r = await reg.call('PUT', `/v2/${reg.path}/manifests/${ref}`, { headers: { 'content-type': m.mediaType }, body: m.bytes })
  if (r.statusCode !== 201) throw await failure(r, `putting the manifest of ${reg.familiar}:${ref}`)
  await r.body.dump()
}

async function manifestExists (reg: Registry, digest: string): Promise<boolean> {
  const r = await reg.call('HEAD', `/v2/${reg.path}/manifests/${digest}`, { headers: { accept: ACCEPT } })
  await r.body.dump()
  return r.statusCode === 200
}

/**
 * Puts `manifest` under `tag`, or the index it was pulled from when the
 * registry has every other manifest that index names (a push back to where
 * the image came from, or to where its other platforms went): the image
 * manifest goes first by digest, then the index under the tag, so the tag's
 * digest is the one the image was pulled by. A registry checks that an
 * index's manifests are there, and the store has only one platform's, so
 * elsewhere the tag gets the image manifest, as Docker's containerd store
 * pushes an image whose other platforms it lacks. Returns what the tag got.
 */
async function putManifests (reg: Registry, tag: string, manifest: KeptManifest, index: KeptManifest | undefined): Promise<KeptManifest> {
  let entries: Array<{ digest?: unknown }> = []
  try { if (index !== undefined) entries = JSON.parse(index.bytes.toString('utf8')).manifests } catch {}
  const own = sha256(manifest.bytes)
  if (index === undefined || !Array.isArray(entries) || !entries.some(e => e?.digest === own)) {
    await putManifest(reg, tag, manifest)
    return manifest
  }
  await putManifest(reg, own, manifest)
  for (const e of entries) {
    if (e?.digest !== own && !await manifestExists(reg, String(e?.digest))) { await putManifest(reg, tag, manifest); return manifest }
  }
  const listed = { mediaType: index.mediaType !== '' ? index.mediaType : MEDIA.ociIndex, bytes: index.bytes }
  await putManifest(reg, tag, listed)
  return listed
}

/**
 * Pushes each tag of a resolved push, reporting Docker's progress lines,
 * and records the manifest digests as RepoDigests. Errors are thrown (the
 * route puts them in the stream); the registry's connections are closed at
 * the end.
 */
export async function runPush (store: PushSource, push: ResolvedPush, hosts: RegistryHosts, emit: (p: PushProgress) => void): Promise<void> {
  const { domain, path } = splitDomain(push.name)
  emit({ status: `The push refers to repository [${push.name}]` })
  const open = (e: Endpoint): Registry => new Registry(e, path, familiarName(push.name), { push: true, ...push.auth !== undefined ? { auth: push.auth } : {} })
  // The first endpoint that answers is pushed to, as moby falls back only before anything was sent.
  const reg = await firstEndpoint(upstreamEndpoints(domain, hosts), open, async reg => { await reg.ping(); return reg })
  const pins: string[] = []
  const known = knownBlobsIn(store.blobsFile)
  pruneManifests(store.blobsFile, new Set(store.list().map(r => r.id)))
  let done = false
  try {
    for (const { tag, id } of push.tags) {
      const rec = store.resolve(id)
      for (const d of rec.diffIds) { store.pin(d); pins.push(d) }
      // Asked first, so that the uploads running at once start with the Authorization (else each answers a 401 of its own).
      const configThere = await blobExists(reg, id)
      // moby lists the layers top first; each is Preparing, then Waiting for an upload slot.
      const layers = [...new Set(rec.diffIds)].reverse()
      for (const d of layers) emit({ status: 'Preparing', progressDetail: {}, id: shortId(d) })
      const kept = keptFor(store.blobsFile, id, rec.diffIds.length)
      const wants = new Map(rec.diffIds.map((d, i) => [d, kept?.layers[i]]))
      const slots = new Slots(UPLOADS)
      const uploads = new Map(layers.map(d => {
        if (!slots.free) emit({ status: 'Waiting', progressDetail: {}, id: shortId(d) })
        return [d, slots.run(async () => await pushLayer(reg, known, d, await store.layerTar(d), emit, wants.get(d)))]
      }))
      for (const u of uploads.values()) u.catch(() => {})
      const blobs = []
      for (const d of rec.diffIds) blobs.push(await uploads.get(d)!)
      const config = await store.configBytes(id)
      if (!configThere) await pushConfig(reg, id, config)
      // What the image was pulled as, when its layers went up as those blobs; else a v2 schema 2 manifest as moby's classic store writes it.
      const manifest = kept !== undefined && blobs.every((b, i) => b.digest === kept.layers[i]!.digest)
        ? kept.pulled.manifest
        : {
            mediaType: MEDIA.dockerManifest,
            bytes: Buffer.from(JSON.stringify({
              schemaVersion: 2,
              mediaType: MEDIA.dockerManifest,
              config: { mediaType: CONFIG_MEDIA, size: config.length, digest: id },
              layers: blobs.map(b => ({ mediaType: GZIP_LAYERS.has(b.mediaType) ? LAYER_MEDIA : b.mediaType, size: b.size, digest: b.digest }))
            }, null, 3))
          }
      const put = await putManifests(reg, tag, manifest, manifest === kept?.pulled.manifest ? kept.pulled.index : undefined)
      const digest = sha256(put.bytes)
      await store.commit(config, [], [`${push.name}@${digest}`])
      await known.save()
      emit({ status: `${tag}: digest: ${digest} size: ${put.bytes.length}` })
      emit({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: put.bytes.length } })
      store.pushed(`${familiarName(push.name)}:${tag}`, familiarName(push.name))
    }
    done = true
  } finally {
    await reg.close(!done)
    store.release(pins)
  }
}
