/**
 * `docker pull`: a manifest (picked from a list or index by platform), its
 * config and layers fetched from the registry into the image store, with
 * Docker's JSON progress messages (moby distribution/pull_v2.go, xfer/download.go).
 *
 * A pull runs in two steps so that the API can answer a bad reference, an
 * unknown image or an unreachable registry with a plain HTTP error, as moby
 * does before its first progress line: `resolvePull` finds the image manifest,
 * `runPull` fetches what the store lacks. The registry's endpoints (mirrors,
 * HTTPS then HTTP for an insecure one: hosts.ts) are tried in order until one
 * resolves the reference. Layers are downloaded through the store's ingest
 * dir (at most DOWNLOADS at a time; resumed, retried and shared between pulls:
 * ingest.ts), verified against their digest, and each unpacked while it
 * downloads through the store's layer unpacker, which keeps the verified
 * blob; a layer whose diffID the store has is not downloaded. A failure leaves no image and no layer; verified downloads and
 * partial ones stay in the ingest dir for the next pull.
 */
import { createReadStream } from 'node:fs'
import { pipeline, Transform, type Readable } from 'node:stream'
import { invalid } from '../errors.js'
import { familiarName, parsePullRef, refKey, shortId, splitDomain, type PullRef } from '../images/reference.js'
import { HOST_ARCH, type PullSink } from '../images/types.js'
import type { AuthConfig } from './auth.js'
import { knownBlobsIn } from './blobs.js'
import { firstEndpoint, MEDIA, Registry, type FetchedManifest } from './client.js'
import { endpointsFor, type Endpoint, type RegistryHosts } from './hosts.js'
import { Ingest, type Lease } from './ingest.js'
import { keepManifest, type KeptManifest } from './manifests.js'

export { registryHosts, registryInfo, type RegistryHosts } from './hosts.js'

/** moby's default max-concurrent-downloads. */
const DOWNLOADS = 3
/** An image config bigger than this is refused unread. */
const CONFIG_MAX = 8 * 1024 * 1024
/** Progress lines per layer are at most this often, as moby's progress reader limits them. */
const PROGRESS_MS = 100
const LAYER_TYPES = new Set([
  'application/vnd.docker.image.rootfs.diff.tar.gzip', 'application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.layer.v1.tar'
])

/** os/architecture[/variant], as `platform=` and manifest lists name it. */
export interface Platform { os: string, architecture: string, variant?: string }

/** One line of Docker's JSON progress stream. */
export interface Progress { status: string, id?: string, progressDetail?: { current?: number, total?: number } }

/** A pull whose manifest is known: what `runPull` fetches. */
export interface ResolvedPull {
  ref: PullRef
  registry: Registry
  /** The digest the reference resolved to (a list's or index's when it was one): RepoDigests and `Digest:`. */
  digest: string
  manifest: FetchedManifest
  /** The manifest list or index the image manifest was picked from, if it was. */
  index?: FetchedManifest
}

/** Parses `platform=` (`linux/arm64/v8`); empty means the host's. Pure. */
export function parsePlatform (s: string | undefined): Platform {
  if (s === undefined || s === '') return hostPlatform()
  const [os, architecture, variant, ...rest] = s.toLowerCase().split('/')
  if (os === undefined || os === '' || rest.length > 0 || (architecture !== undefined && architecture === '')) throw invalid(`"${s}": unknown operating system or architecture: invalid argument`)
  return { os, architecture: architecture ?? HOST_ARCH, ...variant !== undefined && variant !== '' ? { variant } : {} }
}

/** The host's platform, with the variant Docker assumes for arm. */
export function hostPlatform (): Platform {
  const variant = HOST_ARCH === 'arm64' ? 'v8' : HOST_ARCH === 'arm' ? 'v7' : undefined
  return { os: 'linux', architecture: HOST_ARCH, ...variant !== undefined ? { variant } : {} }
}

/** The entry of a manifest list or index for `want`: os and architecture equal, variant equal when both name one. Pure. */
export function pickPlatform (manifests: Array<{ digest: string, platform?: Partial<Platform> }>, want: Platform): { digest: string } | undefined {
  const fits = manifests.filter(m => m.platform?.os === want.os && m.platform.architecture === want.architecture)
  return fits.find(m => m.platform?.variant === want.variant) ??
    fits.find(m => want.variant === undefined || m.platform?.variant === undefined || m.platform.variant === '') ??
    (want.architecture === 'arm64' ? fits[0] : undefined)
}

const isList = (m: FetchedManifest): boolean => m.mediaType === MEDIA.ociIndex || m.mediaType === MEDIA.dockerList || (m.mediaType === '' && Array.isArray(m.doc?.manifests))

/** The familiar form of a pull reference: `bb:latest`, `127.0.0.1:5000/bb@sha256:…`. */
export const familiarRef = (ref: PullRef): string => `${familiarName(ref.name)}${ref.digest !== undefined ? `@${ref.digest}` : `:${ref.tag!}`}`

/**
 * Parses the reference and fetches its image manifest: throws
 * INVALID_ARGUMENT, NOT_FOUND (Docker's `manifest unknown` / `pull access
 * denied` wording) or INTERNAL (registry unreachable) before anything is
 * streamed.
 */
export async function resolvePull (fromImage: string, tag: string | undefined, platform: string | undefined, hosts: RegistryHosts, auth?: AuthConfig): Promise<ResolvedPull> {
  const ref = parsePullRef(fromImage, tag)
  const want = parsePlatform(platform)
  const { domain, path } = splitDomain(ref.name)
  const open = (e: Endpoint): Registry => new Registry(e, path, familiarName(ref.name), auth !== undefined ? { auth } : {})
  return await firstEndpoint(endpointsFor(domain, hosts), open, async registry => await resolveAt(registry, ref, want))
}

async function resolveAt (registry: Registry, ref: PullRef, want: Platform): Promise<ResolvedPull> {
  await registry.ping()
  let manifest = await registry.manifest(ref.digest ?? ref.tag!)
  const digest = manifest.digest
  let index: FetchedManifest | undefined
  if (isList(manifest)) {
    index = manifest
    const entries = Array.isArray(manifest.doc?.manifests) ? manifest.doc.manifests as Array<{ digest: string, platform?: Partial<Platform> }> : []
    const pick = pickPlatform(entries, want)
    if (pick === undefined) throw invalid(`no matching manifest for ${want.os}/${want.architecture}${want.variant !== undefined ? `/${want.variant}` : ''} in the manifest list entries`)
    manifest = await registry.manifest(pick.digest)
  }
  if (manifest.mediaType === MEDIA.schema1 || manifest.mediaType === MEDIA.schema1Signed || manifest.doc?.schemaVersion === 1) {
    throw invalid(`[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of ${familiarRef(ref)} to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/`)
  }
  if (manifest.mediaType !== MEDIA.dockerManifest && manifest.mediaType !== MEDIA.ociManifest) throw invalid(`unsupported manifest media type ${JSON.stringify(manifest.mediaType)} for ${familiarRef(ref)}`)
  for (const l of Array.isArray(manifest.doc?.layers) ? manifest.doc.layers as Array<{ mediaType?: unknown }> : []) checkLayerType(l?.mediaType, ref)
  return { ref, registry, digest, manifest, ...index !== undefined ? { index } : {} }
}

/**
 * Refuses a layer berth cannot unpack before anything is downloaded, naming
 * its media type. zstd gets its own words: Node 20's zlib has no zstd (it
 * comes with Node 22.15), and no npm package was fit to add (see README).
 */
function checkLayerType (mediaType: unknown, ref: PullRef): void {
  if (typeof mediaType === 'string' && LAYER_TYPES.has(mediaType)) return
  const type = JSON.stringify(mediaType)
  if (typeof mediaType === 'string' && mediaType.includes('zstd')) throw invalid(`${familiarRef(ref)} has zstd-compressed layers (media type ${type}), which berth cannot unpack: it reads gzip and uncompressed layers only`)
  throw invalid(`unsupported layer media type ${type} in ${familiarRef(ref)}`)
}

/** Runs `fn` over `items` with at most `limit` at a time; the results keep their order. */
function bounded<T, R> (items: T[], limit: number, fn: (item: T) => Promise<R>): Array<Promise<R>> {
  let running = 0
  const waiting: Array<() => void> = []
  return items.map(async item => {
    if (running >= limit) await new Promise<void>(resolve => waiting.push(resolve))
    running++
    try { return await fn(item) } finally { running--; waiting.shift()?.() }
  })
}

/** A layer descriptor of an image manifest, checked. */
interface Layer { digest: string, size: number, mediaType: string, diffId: string }

function layersOf (m: FetchedManifest, diffIds: unknown): Layer[] {
  const layers: unknown = m.doc?.layers
  if (!Array.isArray(layers) || !Array.isArray(diffIds) || layers.length !== diffIds.length) throw invalid(`the manifest ${m.digest} and its config list different numbers of layers`)
  return layers.map((l: any, i) => {
    return { digest: String(l.digest), size: Number(l.size) || 0, mediaType: String(l.mediaType), diffId: String(diffIds[i]) }
  })
}

/**
 * Fetches the config and missing layers of a resolved pull into `store`,
 * reporting Docker's progress lines, and tags the image. Returns the final
 * status line. The registry's connections are closed at the end.
 */
export async function runPull (store: PullSink, pull: ResolvedPull, emit: (p: Progress) => void): Promise<string> {
  const { ref, registry, manifest } = pull
  const pins: string[] = []
  const leases: Lease[] = []
  let downloads: Array<Promise<void>> = []
  let done = false
  /** Pins a layer the store has now (another pull may have finished it meanwhile); false when it has none. */
  const have = (diffId: string): boolean => {
    if (!store.hasLayer(diffId)) return false
    store.pin(diffId)
    pins.push(diffId)
    return true
  }
  try {
    emit({ status: `Pulling from ${registry.path}`, id: ref.digest ?? ref.tag! })
    const configDigest = String(manifest.doc?.config?.digest)
    const config = await registry.blobBytes(configDigest, CONFIG_MAX)
    let doc: any
    try { doc = JSON.parse(config.toString('utf8')) } catch (err) { throw invalid(`the image config ${configDigest} is not JSON`, err) }
    const layers = layersOf(manifest, doc?.rootfs?.diff_ids)
    const present = layers.map(l => have(l.diffId))
    let queued = 0
    for (const [i, l] of layers.entries()) {
      emit({ status: present[i]! ? 'Already exists' : 'Pulling fs layer', progressDetail: {}, id: shortId(l.digest) })
      // As moby's transfer manager: a layer beyond the download limit shows Waiting until a slot frees.
      if (!present[i]! && ++queued > DOWNLOADS) emit({ status: 'Waiting', progressDetail: {}, id: shortId(l.digest) })
    }
    const missing = layers.filter((_, i) => !present[i]!)
    downloads = bounded(missing, DOWNLOADS, async l => {
      if (!have(l.diffId)) await pullLayer(store, ingestOf(store), registry, l, { pins, leases, emit })
      emit({ status: 'Pull complete', progressDetail: {}, id: shortId(l.digest) })
    })
    // The first failure fails the pull; the others must not go unhandled meanwhile.
    for (const d of downloads) d.catch(() => {})
    await Promise.all(downloads)
    const tags = ref.digest === undefined ? [{ name: ref.name, tag: ref.tag! }] : []
    const before = tags.length > 0 ? store.tagged(refKey(tags[0]!)) : undefined
    const rec = await store.commit(config, tags, [`${ref.name}@${pull.digest}`])
    // A push of these layers to this registry finds them there, or mounts them from here.
    const known = knownBlobsIn(store.blobsFile)
    for (const l of layers) known.add(l.diffId, { digest: l.digest, size: l.size, base: registry.base, repo: registry.path })
    await known.save()
    const kept = (m: FetchedManifest): KeptManifest => ({ mediaType: m.mediaType, bytes: m.bytes })
    await keepManifest(store.blobsFile, rec.id, { manifest: kept(manifest), ...pull.index !== undefined ? { index: kept(pull.index) } : {} })
    emit({ status: `Digest: ${pull.digest}` })
    store.pulled(familiarRef(ref), familiarName(ref.name))
    const upToDate = tags.length > 0 ? before === rec.id : layers.every((_, i) => present[i]!)
    done = true
    return upToDate ? `Status: Image is up to date for ${familiarRef(ref)}` : `Status: Downloaded newer image for ${familiarRef(ref)}`
  } finally {
    // On failure the downloads still running are cut off; what they have is kept for the next pull.
    await registry.close(!done)
    await Promise.allSettled(downloads)
    for (const l of leases) l.release(true)
    store.release(pins)
  }
}

/** What a layer's pull shares with the whole pull: layers pinned, downloads held, the progress stream. */
interface PullState { pins: string[], leases: Lease[], emit: (p: Progress) => void }

/**
 * Downloads a layer and unpacks it while it downloads: the unpacker reads
 * the ingest file as it is written (Ingest.follow), and its input ends only
 * once the blob is verified, so nothing unverified is kept; the store then
 * keeps a link to the verified blob, not an uncompressed copy. When the
 * download started over or failed and was retried, the unpacked part is
 * thrown away and the layer unpacked again from the verified file. A layer
 * that does not unpack to the diffID the config names is refused and its
 * download dropped.
 */
async function pullLayer (store: PullSink, ingest: Ingest, registry: Registry, l: Layer, s: PullState): Promise<void> {
  const id = shortId(l.digest)
  let complete = false
  let read = 0
  // Docker's order: Downloading, Download complete, then Extracting (bytes of the compressed layer unpacked so far).
  const report = throttled((current, total) => { if (complete) s.emit({ status: 'Extracting', progressDetail: { current, total }, id }) })
  const downloaded = ingest.fetch(registry, l.digest, l.size, {
    progress: throttled((current, total) => s.emit({ status: 'Downloading', progressDetail: { current, total: total || l.size }, id })),
    retrying: secs => s.emit({ status: `Retrying in ${secs} second${secs === 1 ? '' : 's'}`, progressDetail: {}, id })
  }).then(lease => {
    s.leases.push(lease)
    s.emit({ status: 'Verifying Checksum', progressDetail: {}, id })
    s.emit({ status: 'Download complete', progressDetail: {}, id })
    complete = true
    report(read, l.size)
    return lease
  })
  downloaded.catch(() => {})
  const blob = { file: ingest.fileOf(l.digest), digest: l.digest, size: l.size, mediaType: l.mediaType }
  const unpack = async (src: Readable): Promise<void> => {
    read = 0
    const meter = new Transform({ transform (chunk: Buffer, _enc, cb) { read += chunk.length; report(read, l.size); cb(null, chunk) } })
    const got = await store.addLayer(pipeline(src, meter, () => {}), blob)
    s.pins.push(got.diffId)
    if (got.diffId !== l.diffId) {
      downloaded.then(lease => lease.release(), () => {})
      throw invalid(`layer ${l.digest} unpacks to diffID ${got.diffId}, the image config says ${l.diffId}`)
    }
  }
  const live = ingest.follow(l.digest)
  if (live !== undefined) {
    let cut = false
    live.once('error', () => { cut = true })
    try {
      await unpack(live)
      ;(await downloaded).release()
      return
    } catch (err) {
      if (!cut) throw err
    }
  }
  const lease = await downloaded
  await unpack(createReadStream(lease.file))
  lease.release()
}

/** `fn` called at most every PROGRESS_MS, and always for the last step (current = total), as moby's progress reader does. */
function throttled (fn: (current: number, total: number) => void): (current: number, total: number) => void {
  let last = -Infinity
  return (current, total) => {
    const now = performance.now()
    if (now - last < PROGRESS_MS && current < total) return
    last = now
    fn(current, total)
  }
}

const ingests = new Map<string, Ingest>()
/** The one Ingest of a store's ingest dir: downloads are shared through it. */
function ingestOf (store: PullSink): Ingest {
  let i = ingests.get(store.ingestDir)
  if (i === undefined) ingests.set(store.ingestDir, i = new Ingest(store.ingestDir))
  return i
}
