/**
 * Which compressed blob a layer (by diffID) is known to be, and in which
 * repositories of which registries: what a pull fetched and a push uploaded.
 * A push asks first whether a known blob is there (HEAD, `Layer already
 * exists`) or can be mounted from another repository of the same registry,
 * and compresses and uploads only when neither is so. Docker keeps the same
 * (its v2 metadata); berth keeps it in memory, so after a restart a push
 * uploads again what the registry may already have, which is still correct.
 */

/** A compressed blob of a layer, seen in `repo` of the registry at `base`. */
export interface SeenBlob { digest: string, size: number, base: string, repo: string }

const MAX_PER_LAYER = 50

export class KnownBlobs {
  private readonly byDiffId = new Map<string, SeenBlob[]>()

  add (diffId: string, seen: SeenBlob): void {
    const list = (this.byDiffId.get(diffId) ?? []).filter(s => !(s.digest === seen.digest && s.base === seen.base && s.repo === seen.repo))
    // The newest first; a layer pushed to very many repositories keeps the latest few.
    this.byDiffId.set(diffId, [seen, ...list].slice(0, MAX_PER_LAYER))
  }

  /** The blobs of a layer on the registry at `base`. */
  on (diffId: string, base: string): SeenBlob[] { return (this.byDiffId.get(diffId) ?? []).filter(s => s.base === base) }
}

/** The daemon's one record of known blobs. */
export const knownBlobs = new KnownBlobs()
