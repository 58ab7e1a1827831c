/**
 * Which compressed blob a layer (by diffID) is known to be, and in which
 * repositories of which registries: what a pull fetched and a push uploaded.
 * A push asks first whether a known blob is there (HEAD, `Layer already
 * exists`) or can be mounted from another repository of the same registry,
 * and compresses and uploads only when neither is so. Docker keeps the same
 * (its v2 metadata). berth keeps it per image store in one JSON file
 * (`<images dir>/registry-blobs.json`, written atomically after each pull
 * and push), so it survives a restart; an unreadable file counts as empty,
 * which costs only uploads the registry may not have needed.
 */
import { readFileSync } from 'node:fs'
import { writeFileAtomic } from '../store/atomic.js'

/** A compressed blob of a layer, seen in `repo` of the registry at `base`. */
export interface SeenBlob { digest: string, size: number, base: string, repo: string }

const MAX_PER_LAYER = 50
const VERSION = 1

export class KnownBlobs {
  private readonly byDiffId = new Map<string, SeenBlob[]>()
  private saving: Promise<void> = Promise.resolve()
  private dirty = false

  /** The record kept in `file` (none yet when it is missing or unreadable). */
  constructor (private readonly file?: string) {
    if (file === undefined) return
    try {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { version?: number, layers?: Record<string, SeenBlob[]> }
      if (doc.version === VERSION) for (const [d, list] of Object.entries(doc.layers ?? {})) if (Array.isArray(list)) this.byDiffId.set(d, list.slice(0, MAX_PER_LAYER))
    } catch {}
  }

  add (diffId: string, seen: SeenBlob): void {
    const list = (this.byDiffId.get(diffId) ?? []).filter(s => !(s.digest === seen.digest && s.base === seen.base && s.repo === seen.repo))
    // The newest first; a layer pushed to very many repositories keeps the latest few.
    this.byDiffId.set(diffId, [seen, ...list].slice(0, MAX_PER_LAYER))
    this.dirty = true
  }

  /** The blobs of a layer on the registry at `base`. */
  on (diffId: string, base: string): SeenBlob[] { return (this.byDiffId.get(diffId) ?? []).filter(s => s.base === base) }

  /** Writes what was added since the last save; saves run one at a time. */
  async save (): Promise<void> {
    const file = this.file
    if (file === undefined) return
    this.saving = this.saving.then(async () => {
      if (!this.dirty) return
      this.dirty = false
      await writeFileAtomic(file, JSON.stringify({ version: VERSION, layers: Object.fromEntries(this.byDiffId) }))
    })
    await this.saving
  }
}

const records = new Map<string, KnownBlobs>()

/** The one record of known blobs kept in `file` (an image store's). */
export function knownBlobsIn (file: string): KnownBlobs {
  let r = records.get(file)
  if (r === undefined) records.set(file, r = new KnownBlobs(file))
  return r
}
