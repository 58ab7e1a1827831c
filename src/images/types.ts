/**
 * The image shapes the rest of berth sees, apart from the store that keeps
 * them, so that the store's helpers (archive.ts, changes.ts, view.ts) need
 * not import the store.
 */
import type { Readable } from 'node:stream'
import type { NamedRef } from './reference.js'
import type { Unpacked } from './tar.js'

/** The OCI image config's `config` object: defaults for containers made from the image. */
export interface ImageConfig { Env?: string[], Cmd?: string[], Entrypoint?: string[], WorkingDir?: string, User?: string, Labels?: Record<string, string>, ExposedPorts?: Record<string, object>, StopSignal?: string, Volumes?: Record<string, object> }

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
  /** The image a commit was made from ('' otherwise): inspect's Parent. */
  parent: string
  history: HistoryEntry[]
}

/** What a load needs of the store: its layers (pinned while the load runs) and a commit of each image. */
export interface LayerSink {
  hasLayer: (diffId: string) => boolean
  pin: (diffId: string) => void
  release: (diffIds: string[]) => void
  addLayer: (input: Readable) => Promise<Unpacked>
  commit: (bytes: Buffer, tags: NamedRef[]) => Promise<ImageRecord>
}

/** What a save needs of the store: each layer's tar and each image's config bytes. */
export interface ImageSource {
  layerTar: (diffId: string) => string
  configBytes: (id: string) => Promise<Buffer>
}
