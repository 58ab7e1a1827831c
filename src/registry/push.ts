/**
 * `docker push`: an image of the store sent to its registry as a Docker v2
 * schema 2 manifest, with Docker's JSON progress messages (moby
 * distribution/push_v2.go, xfer/upload.go).
 *
 * A layer the store keeps as the gzip blob it was pulled as is sent as it is;
 * another is gzipped while it streams to the registry (a PATCH of an upload
 * session, then a PUT with the digest the stream had), unless the layer is known as a blob the
 * registry has (HEAD: `Layer already exists`) or can mount from another
 * repository (`Mounted from`). The config goes up as it is stored, so the
 * image id a pull computes is the pushed image's. The manifest's digest
 * becomes one of the image's RepoDigests, as Docker records it. The registry
 * is reached as a pull reaches it (hosts.ts), but never through a mirror:
 * credentials go only to the registry itself.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { Transform, pipeline, type Readable } from 'node:stream'
import { createGzip } from 'node:zlib'
import { Slots } from '../async.js'
import { noLocalTag, registryFailed, type BerthError } from '../errors.js'
import { familiarName, parseRepoTag, refKey, shortId, splitDomain, splitKey } from '../images/reference.js'
import type { ImageRecord, LayerSink, LayerTar } from '../images/types.js'
import type { AuthConfig } from './auth.js'
import { knownBlobsIn, type KnownBlobs } from './blobs.js'
import { firstEndpoint, MEDIA, Registry, registryError } from './client.js'
import { upstreamEndpoints, type Endpoint, type RegistryHosts } from './hosts.js'

/** moby's default max-concurrent-uploads. */
const UPLOADS = 5
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
 * Sends one layer: known there (`Layer already exists`), mounted from a
 * repository it is known in (`Mounted from`), or uploaded with `Pushing`
 * progress: the kept gzip blob as it is, else the tar gzipped on the way
 * (progress over the uncompressed bytes, as moby counts them).
 */
async function pushLayer (reg: Registry, knownBlobs: KnownBlobs, diffId: string, tar: LayerTar, emit: (p: PushProgress) => void): Promise<{ digest: string, size: number }> {
  const id = shortId(diffId)
  const known = knownBlobs.on(diffId, reg.base)
  for (const k of known.filter(k => k.repo === reg.path)) {
    if (await blobExists(reg, k.digest)) { emit({ status: 'Layer already exists', progressDetail: {}, id }); return k }
  }
  // One mount is tried, from the repository the layer was last seen in; if the registry cannot, the session it opened is used for the upload.
  const from = known.find(k => k.repo !== reg.path)
  const started = await startUpload(reg, from === undefined ? undefined : { digest: from.digest, from: from.repo })
  if ('mounted' in started) {
    knownBlobs.add(diffId, { ...from!, repo: reg.path })
    emit({ status: `Mounted from ${from!.repo}`, progressDetail: {}, id })
    return from!
  }
  const location = started.location
  const blob = tar.blob !== undefined && GZIP_LAYERS.has(tar.blob.mediaType) ? tar.blob : undefined
  const total = blob?.size ?? tar.size
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
  let streamError: Error | undefined
  const onEnd = (err: Error | null | undefined): void => { if (err !== null && err !== undefined) streamError = err }
  const body: Readable = blob !== undefined
    ? pipeline(createReadStream(blob.file), meter, counted, onEnd)
    : pipeline(await tar.open(), meter, createGzip(), counted, onEnd)
  const r = await reg.call('PATCH', location, { headers: { 'content-type': 'application/octet-stream' }, body })
  if (streamError !== undefined) { await r.body.dump(); throw registryFailed(`reading layer ${diffId}: ${streamError.message}`, streamError) }
  if (r.statusCode !== 202) throw await failure(r, `uploading layer ${id}`)
  await r.body.dump()
  const next = r.headers.location
  const digest = `sha256:${hash.digest('hex')}`
  await finishUpload(reg, typeof next === 'string' && next !== '' ? next : location, digest)
  knownBlobs.add(diffId, { digest, size, base: reg.base, repo: reg.path })
  emit({ status: 'Pushed', progressDetail: {}, id })
  return { digest, size }
}

/** Sends the config blob as it is stored (its digest is the image id) in one PUT. */
async function pushConfig (reg: Registry, id: string, bytes: Buffer): Promise<void> {
  const started = await startUpload(reg) as { location: string }
  await finishUpload(reg, started.location, id, bytes)
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
  let done = false
  try {
    for (const { tag, id } of push.tags) {
      const rec = store.resolve(id)
      for (const d of rec.diffIds) { store.pin(d); pins.push(d) }
      // Asked first, this also gets the Authorization the layers' streamed uploads need: a stream cannot be sent again after a 401.
      const configThere = await blobExists(reg, id)
      // moby lists the layers top first; each is Preparing, then Waiting for an upload slot.
      const layers = [...new Set(rec.diffIds)].reverse()
      for (const d of layers) emit({ status: 'Preparing', progressDetail: {}, id: shortId(d) })
      const slots = new Slots(UPLOADS)
      const uploads = new Map(layers.map(d => {
        if (!slots.free) emit({ status: 'Waiting', progressDetail: {}, id: shortId(d) })
        return [d, slots.run(async () => await pushLayer(reg, known, d, await store.layerTar(d), emit))]
      }))
      for (const u of uploads.values()) u.catch(() => {})
      const blobs = []
      for (const d of rec.diffIds) blobs.push(await uploads.get(d)!)
      const config = await store.configBytes(id)
      if (!configThere) await pushConfig(reg, id, config)
      const manifest = Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.dockerManifest,
        config: { mediaType: CONFIG_MEDIA, size: config.length, digest: id },
        layers: blobs.map(b => ({ mediaType: LAYER_MEDIA, size: b.size, digest: b.digest }))
      }, null, 3))
      const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`
      const r = await reg.call('PUT', `/v2/${path}/manifests/${tag}`, { headers: { 'content-type': MEDIA.dockerManifest }, body: manifest })
      if (r.statusCode !== 201) throw await failure(r, `putting the manifest of ${familiarName(push.name)}:${tag}`)
      await r.body.dump()
      await store.commit(config, [], [`${push.name}@${digest}`])
      await known.save()
      emit({ status: `${tag}: digest: ${digest} size: ${manifest.length}` })
      emit({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: manifest.length } })
      store.pushed(`${familiarName(push.name)}:${tag}`, familiarName(push.name))
    }
    done = true
  } finally {
    await reg.close(!done)
    store.release(pins)
  }
}
