/**
 * Docker's report of an image removed whole (by `docker image prune`): every
 * reference untagged, then the image deleted. moby's prune deletes each of the
 * image's references in turn, in its reference store's lexical order, and
 * untagging a repository's last tag also untags that repository's digests
 * (`name@sha256:…`), so they follow that tag. Pure.
 */
import { familiarKey, familiarName } from './reference.js'

/** One line of DELETE /images/{name}'s answer, and of the prune's ImagesDeleted. */
export type DeleteItem = { Untagged: string } | { Deleted: string }

/** The repository of a stored key: `docker.io/library/bb` of `…/bb:latest` or `…/bb@sha256:…`. */
const repoOf = (key: string): string => key.includes('@') ? key.slice(0, key.indexOf('@')) : key.slice(0, key.lastIndexOf(':'))

/** The familiar form of a stored key: `bb:latest`, `bb@sha256:…`. */
const familiar = (key: string): string => key.includes('@') ? `${familiarName(repoOf(key))}${key.slice(key.indexOf('@'))}` : familiarKey(key)

/**
 * The items for image `id` with stored tag keys `tags` and digest keys
 * `digests` (`docker.io/library/bb@sha256:…`), in Docker's order.
 */
export function removalItems (id: string, tags: readonly string[], digests: readonly string[]): DeleteItem[] {
  const left = new Set([...tags, ...digests])
  const out: DeleteItem[] = []
  for (const key of [...left].sort()) {
    if (!left.delete(key)) continue // a digest already untagged with its repository's last tag
    out.push({ Untagged: familiar(key) })
    if (digests.includes(key) || [...left].some(k => tags.includes(k) && repoOf(k) === repoOf(key))) continue
    for (const d of digests) if (repoOf(d) === repoOf(key) && left.delete(d)) out.push({ Untagged: familiar(d) })
  }
  out.push({ Deleted: id })
  return out
}
