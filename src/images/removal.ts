/**
 * Docker's image removal (moby daemon/images/image_delete.go and
 * image_prune.go) as pure decisions over an image's stored references: which
 * tags and digests go, in which order, whether the image goes with them, and
 * which of its layers the layer store drops. The store acts on the answer.
 */
import { createHash } from 'node:crypto'
import { conflict } from '../errors.js'
import { familiarKey, familiarName, shortId } from './reference.js'

/** One line of DELETE /images/{name}'s answer, and of the prune's ImagesDeleted. */
export type DeleteItem = { Untagged: string } | { Deleted: string }

/** True for a stored digest key (`docker.io/library/bb@sha256:…`), false for a tag key. */
export const isDigestKey = (key: string): boolean => key.includes('@')

/** The repository of a stored key: `docker.io/library/bb` of `…/bb:latest` or `…/bb@sha256:…`. */
const repoOf = (key: string): string => isDigestKey(key) ? key.slice(0, key.indexOf('@')) : key.slice(0, key.lastIndexOf(':'))

/** The familiar form of a stored key: `bb:latest`, `bb@sha256:…`. */
export const familiarRef = (key: string): string => isDigestKey(key) ? `${familiarName(repoOf(key))}${key.slice(key.indexOf('@'))}` : familiarKey(key)

/**
 * The order moby's prune untags an image's references in: it deletes each
 * reference in its reference store's lexical order, and untagging a
 * repository's last tag also untags that repository's digests, so they
 * follow that tag. `tags` and `digests` are stored keys.
 */
export function pruneOrder (tags: readonly string[], digests: readonly string[]): string[] {
  const left = new Set([...tags, ...digests])
  const out: string[] = []
  for (const key of [...left].sort()) {
    if (!left.delete(key)) continue // a digest already untagged with its repository's last tag
    out.push(key)
    if (digests.includes(key) || [...left].some(k => tags.includes(k) && repoOf(k) === repoOf(key))) continue
    for (const d of digests) if (repoOf(d) === repoOf(key) && left.delete(d)) out.push(d)
  }
  return out
}

/** What a removal does: the stored keys untagged, in Docker's order, and whether the image itself goes. */
export interface RemovalPlan { untag: string[], remove: boolean }

/** A container that uses an image; whether it is running decides whether force helps. */
export interface ImageUser { id: string, running: boolean }

/** What DELETE /images/{ref} is asked to do. */
export interface RemovalRequest {
  /** The reference as given, for conflict messages. */
  ref: string
  id: string
  /** The stored tag or digest key `ref` named; undefined when it named the image id. */
  key?: string
  /** Every stored key (tags and digests) of the image. */
  refs: readonly string[]
  force: boolean
  /** A container that uses the image: it then stays, untagged at most. */
  user?: ImageUser
}

/** moby's isSingleReference: at most one tag, and every reference in one repository. */
function singleReference (refs: readonly string[]): boolean {
  if (refs.length <= 1) return refs.length === 1
  const tags = refs.filter(k => !isDigestKey(k))
  if (tags.length > 1) return false
  const repos = new Set(refs.filter(isDigestKey).map(repoOf))
  return repos.size === 1 && repos.has(repoOf(tags[0] ?? refs[0]!))
}

/**
 * Docker's image delete. A reference untags itself; a tag that was its
 * repository's last also untags that repository's digests; the image goes
 * when no reference is left. An id untags every reference in lexical order
 * and deletes the image, but only with force when the references span
 * repositories or tags. An image a container uses stays: CONFLICT without
 * force when its last reference would go, and by id even with force while
 * the container runs (moby's hard conflict). With force and a stopped
 * container moby deletes the image record and keeps its layers for the
 * container; berth's layers belong to images, so the image stays, untagged.
 * Throws CONFLICT with moby's wording, its checks in moby's order.
 */
export function planRemoval (r: RemovalRequest): RemovalPlan {
  const refs = [...r.refs].sort()
  if (r.key !== undefined) {
    if (!r.force && r.user !== undefined && singleReference(refs)) {
      throw conflict(`conflict: unable to remove repository reference "${r.ref}" (must force) - container ${shortId(r.user.id)} is using its referenced image ${shortId(r.id)}`)
    }
    const key = r.key
    const untag = [key]
    const lastTag = !isDigestKey(key) && !refs.some(k => k !== key && !isDigestKey(k) && repoOf(k) === repoOf(key))
    if (lastTag) untag.push(...refs.filter(k => isDigestKey(k) && repoOf(k) === repoOf(key)))
    return { untag, remove: refs.every(k => untag.includes(k)) && r.user === undefined }
  }
  const refuse = (hard: boolean, why: string): Error => conflict(`conflict: unable to delete ${shortId(r.id)} (${hard ? 'cannot' : 'must'} be forced) - ${why}`)
  if (r.user?.running === true) throw refuse(true, `image is being used by running container ${shortId(r.user.id)}`)
  if (!r.force && !singleReference(refs) && refs.length > 0) throw refuse(false, 'image is referenced in multiple repositories')
  if (!r.force && r.user !== undefined) throw refuse(false, `image is being used by stopped container ${shortId(r.user.id)}`)
  return { untag: refs, remove: r.user === undefined }
}

/** Chain ids by diffIds list: a record's list is one array for its life, and a prune asks for every other image's chains per victim. */
const chainMemo = new WeakMap<readonly string[], string[]>()

/** Docker's chain ids of a layer stack (image-spec config.md, ChainID): the first diffID, then sha256 of `<parent chain> <diffID>`. */
export function chainIds (diffIds: readonly string[]): string[] {
  const known = chainMemo.get(diffIds)
  if (known !== undefined) return [...known]
  const out: string[] = []
  for (const d of diffIds) {
    const parent = out.at(-1)
    out.push(parent === undefined ? d : `sha256:${createHash('sha256').update(`${parent} ${d}`).digest('hex')}`)
  }
  chainMemo.set(diffIds, out)
  return [...out]
}

/**
 * The layers Docker's layer store drops with an image of `diffIds`: those
 * whose chain no other image (`others`, their diffIds) has, top first, as
 * moby lists them after the image. Each with its diffID, for its size.
 */
export function removedLayers (diffIds: readonly string[], others: Iterable<readonly string[]>): Array<{ chainId: string, diffId: string }> {
  const kept = new Set<string>()
  for (const o of others) for (const c of chainIds(o)) kept.add(c)
  return chainIds(diffIds).map((chainId, i) => ({ chainId, diffId: diffIds[i]! })).filter(l => !kept.has(l.chainId)).reverse()
}

/** The items of a removal: each key untagged, then, when it went, the image and its dropped layers. */
export function removalItems (untag: readonly string[], deleted?: { id: string, layers: ReadonlyArray<{ chainId: string }> }): DeleteItem[] {
  const out: DeleteItem[] = untag.map(k => ({ Untagged: familiarRef(k) }))
  if (deleted !== undefined) out.push({ Deleted: deleted.id }, ...deleted.layers.map(l => ({ Deleted: l.chainId })))
  return out
}
