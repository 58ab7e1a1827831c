/**
 * The manifest (and the index or manifest list) an image was pulled as,
 * kept so that a push sends those bytes back unchanged: an image pulled as
 * an OCI manifest or from a multi-platform index is pushed as what it was,
 * under the same digest, as Docker's containerd image store does. (Docker's
 * classic store rebuilds a v2 schema 2 manifest, whose digest is the
 * original's only when the original was one Docker itself wrote.)
 *
 * One JSON file per image id (`<images dir>/registry-manifests/<hex>.json`,
 * beside registry-blobs.json), written atomically after a pull; the newest
 * pull of an image wins. A file whose image is gone is removed by the next
 * push (`pruneManifests`); an unreadable one counts as none, which costs
 * only a rebuilt manifest.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { writeFileAtomic } from '../store/atomic.js'

/** A manifest's exact bytes and media type. */
export interface KeptManifest { mediaType: string, bytes: Buffer }

/** What an image was pulled as: its image manifest, and the index it was picked from (if it was). */
export interface PulledAs { manifest: KeptManifest, index?: KeptManifest }

const VERSION = 1
const dirOf = (blobsFile: string): string => join(dirname(blobsFile), 'registry-manifests')
const fileOf = (blobsFile: string, id: string): string => join(dirOf(blobsFile), `${id.slice('sha256:'.length)}.json`)
const encode = (m: KeptManifest): object => ({ mediaType: m.mediaType, bytes: m.bytes.toString('base64') })
const decode = (m: any): KeptManifest | undefined => typeof m?.mediaType === 'string' && typeof m?.bytes === 'string' ? { mediaType: m.mediaType, bytes: Buffer.from(m.bytes, 'base64') } : undefined

/** Records what image `id` was pulled as, in the store whose blob record is `blobsFile`. */
export async function keepManifest (blobsFile: string, id: string, pulled: PulledAs): Promise<void> {
  await mkdir(dirOf(blobsFile), { recursive: true })
  await writeFileAtomic(fileOf(blobsFile, id), JSON.stringify({ version: VERSION, manifest: encode(pulled.manifest), ...pulled.index !== undefined ? { index: encode(pulled.index) } : {} }))
}

/** What image `id` was pulled as, if that is known. */
export function pulledAs (blobsFile: string, id: string): PulledAs | undefined {
  try {
    const doc = JSON.parse(readFileSync(fileOf(blobsFile, id), 'utf8')) as { version?: number, manifest?: unknown, index?: unknown }
    const manifest = decode(doc.manifest)
    if (doc.version !== VERSION || manifest === undefined) return undefined
    const index = decode(doc.index)
    return { manifest, ...index !== undefined ? { index } : {} }
  } catch { return undefined }
}

/** Removes the records of images not in `ids`. */
export function pruneManifests (blobsFile: string, ids: Set<string>): void {
  let names: string[]
  try { names = readdirSync(dirOf(blobsFile)) } catch { return }
  for (const n of names) if (/^[0-9a-f]{64}\.json$/.test(n) && !ids.has(`sha256:${n.slice(0, 64)}`)) rmSync(join(dirOf(blobsFile), n), { force: true })
}
