/**
 * The image shapes the rest of berth sees, apart from the store that keeps
 * them, so that the store's helpers (archive.ts, changes.ts, view.ts) need
 * not import the store.
 */
import type { Readable } from 'node:stream'
import type { NamedRef } from './reference.js'
import type { Unpacked } from './tar.js'

/** The host's architecture as image configs and registries name it (GOARCH). */
export const HOST_ARCH: string = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', ia32: '386' } as Record<string, string>)[process.arch] ?? process.arch

/** The OCI image config's `config` object: defaults for containers made from the image. */
export interface ImageConfig { Env?: string[], Cmd?: string[], Entrypoint?: string[], WorkingDir?: string, User?: string, Labels?: Record<string, string>, ExposedPorts?: Record<string, object>, StopSignal?: string, Volumes?: Record<string, object>, Healthcheck?: ImageHealthcheck }

/** Docker's HEALTHCHECK in an image config: durations in nanoseconds. */
export interface ImageHealthcheck { Test?: string[], Interval?: number, Timeout?: number, StartPeriod?: number, StartInterval?: number, Retries?: number }

/** One entry of an image's history (OCI image config `history`). */
export interface HistoryEntry { created?: string, created_by?: string, comment?: string, empty_layer?: boolean, author?: string }

/** An image as the rest of berth sees it. */
export interface ImageRecord {
  /** 'sha256:<64 hex>': the sha256 of the stored image config bytes. */
  id: string
  config: ImageConfig
  /** 'sha256:<hex>' of each uncompressed layer tar, bottom first. */
  diffIds: string[]
  /** Absolute paths of the unpacked layers, bottom first (overlay lowerdirs). */
  layerDirs: string[]
  /** RFC 3339. */
  created: string
  /** Bytes of file content, summed over the layers. */
  size: number
  /** Familiar 'name:tag's, e.g. 'bb:latest'. */
  repoTags: string[]
  architecture: string
  os: string
  author: string
  comment: string
  /** The container a commit made the image from ('' otherwise). */
  container: string
  /** Familiar `name@sha256:…` of the manifests the image was pulled by. */
  repoDigests: string[]
  /** The image a commit was made from ('' otherwise): inspect's Parent. */
  parent: string
  history: HistoryEntry[]
}

/** A layer's compressed blob as a registry served it: the file of its verified bytes, its digest, size and media type. */
export interface KeptBlob { file: string, digest: string, size: number, mediaType: string }

/** A stored layer's uncompressed tar, as save and push read it, and the blob it was pulled as (if it was). */
export interface LayerTar {
  /** Bytes of the uncompressed tar. */
  size: number
  /** The uncompressed tar's bytes (gunzipped from the blob when the store keeps one). */
  open: () => Promise<Readable>
  /** The uncompressed tar on disk, when the store keeps one (layers not pulled). */
  file?: string
  blob?: KeptBlob
}

/** What a load needs of the store: its layers (pinned while the load runs) and a commit of each image. */
export interface LayerSink {
  hasLayer: (diffId: string) => boolean
  pin: (diffId: string) => void
  release: (diffIds: string[]) => void
  /** Unpacks a layer; with `blob` (the verified compressed blob `input` was read from), the store keeps a link to that file instead of an uncompressed copy. */
  addLayer: (input: Readable, blob?: KeptBlob) => Promise<Unpacked>
  commit: (bytes: Buffer, tags: NamedRef[], repoDigests?: string[]) => Promise<ImageRecord>
}

/** What a registry pull needs of the store besides a load's: scratch space, what a tag points at, its event. */
export interface PullSink extends LayerSink {
  /** A new scratch dir under the store's tmp dir (emptied at start-up); the caller removes it. */
  scratch: (prefix: string) => Promise<string>
  /** The dir of downloads kept across pulls and restarts (the registry's ingest dir), not emptied at start-up. */
  readonly ingestDir: string
  /** Where the record of which registry blobs hold which layers is kept (registry/blobs.ts). */
  readonly blobsFile: string
  /** The image id a stored tag key (`docker.io/library/bb:latest`) points at. */
  tagged: (key: string) => string | undefined
  /** Docker's `pull` event: its actor is the familiar `ref` (`name:tag` or `name@digest`), its name the familiar `name`. */
  pulled: (ref: string, name: string) => void
}

/** What a save needs of the store: each layer's tar and each image's config bytes. */
export interface ImageSource {
  layerTar: (diffId: string) => Promise<LayerTar>
  configBytes: (id: string) => Promise<Buffer>
}
