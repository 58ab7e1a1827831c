/**
 * Image references as Docker parses them (distribution/reference): an optional
 * registry domain, lower-case path components, an optional tag. Names are
 * stored normalised (`bb` → `docker.io/library/bb:latest`) and shown in the
 * familiar form (`bb:latest`), as the docker CLI expects.
 */
import { invalid } from '../errors.js'

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
// A host name or, as distribution/reference accepts since v0.6, a bracketed IPv6 address.
const DOMAIN = /^(?:\[[a-fA-F0-9:]+\]|(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*)(?::[0-9]+)?$/
const TAG = /^[\w][\w.-]{0,127}$/
const FULL_ID = /^(?:sha256:)?([0-9a-f]{64})$/
const NAME_MAX = 255

export const DEFAULT_TAG = 'latest'
const DEFAULT_DOMAIN = 'docker.io'

/** A normalised name and tag: `docker.io/library/bb` and `latest`. */
export interface NamedRef { name: string, tag: string }

/** The hex of a full image id (`sha256:<64 hex>` or bare 64 hex), or undefined. */
export const fullIdHex = (ref: string): string | undefined => FULL_ID.exec(ref)?.[1]

/** Why `repo` is not a valid repository name, or undefined when it is. */
function repoProblem (repo: string): string | undefined {
  if (repo === '') return 'repository name must have at least one component'
  if (repo.length > NAME_MAX) return `repository name must not be more than ${NAME_MAX} characters`
  if (/^[0-9a-f]{64}$/.test(repo)) return 'cannot specify 64-byte hexadecimal strings'
  const parts = repo.split('/')
  const first = parts[0]!
  const hasDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())
  if (hasDomain && !DOMAIN.test(first)) return 'invalid reference format'
  for (const c of hasDomain ? parts.slice(1) : parts) {
    if (!COMPONENT.test(c)) return c.toLowerCase() !== c && COMPONENT.test(c.toLowerCase()) ? 'repository name must be lowercase' : 'invalid reference format'
  }
  if (hasDomain && parts.length < 2) return 'invalid reference format'
  return undefined
}

/** `repo` with Docker's default domain and `library/` added. */
export function normalizeRepo (repo: string): string {
  const parts = repo.split('/')
  const first = parts[0]!
  const hasDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())
  let domain = hasDomain ? first : DEFAULT_DOMAIN
  let rest = hasDomain ? parts.slice(1).join('/') : repo
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN
  if (domain === DEFAULT_DOMAIN && !rest.includes('/')) rest = `library/${rest}`
  return `${domain}/${rest}`
}

/**
 * Parses `name[:tag]` (no digests: berth keeps none) into its normalised
 * form; throws INVALID_ARGUMENT with Docker's wording.
 */
export function parseNamed (ref: string): NamedRef {
  if (ref.includes('@')) throw invalid(`invalid reference format: digests are not supported: ${ref}`)
  const slash = ref.lastIndexOf('/')
  const colon = ref.lastIndexOf(':')
  const repo = colon > slash ? ref.slice(0, colon) : ref
  const tag = colon > slash ? ref.slice(colon + 1) : DEFAULT_TAG
  const problem = repoProblem(repo)
  if (problem !== undefined) throw invalid(`invalid reference format: ${problem}: ${ref}`)
  if (!TAG.test(tag)) throw invalid(`invalid reference format: invalid tag: ${ref}`)
  return { name: normalizeRepo(repo), tag }
}

/** A reference to pull: a normalised name and either a tag or a manifest digest. */
export interface PullRef { name: string, tag?: string, digest?: string }

const DIGEST = /^sha256:[0-9a-f]{64}$/

/**
 * What POST /images/create?fromImage=&tag= names, as moby reads it: `name`,
 * `name:tag` or `name@sha256:…`, and a `tag` that is a tag or a digest
 * (the CLI sends `tag=latest` or the digest apart). Throws INVALID_ARGUMENT.
 */
export function parsePullRef (fromImage: string, tag?: string): PullRef {
  const at = fromImage.indexOf('@')
  const base = at < 0 ? fromImage : fromImage.slice(0, at)
  let digest = at < 0 ? undefined : fromImage.slice(at + 1)
  let named: NamedRef
  const explicitTag = base.lastIndexOf(':') > base.lastIndexOf('/')
  try {
    named = parseNamed(base)
  } catch (err) {
    throw invalid(`invalid reference format: ${fromImage}`, err)
  }
  if (tag !== undefined && tag !== '') {
    if (DIGEST.test(tag)) digest = tag
    else if (!TAG.test(tag)) throw invalid(`invalid reference format: invalid tag: ${tag}`)
    else if (digest === undefined) return { name: named.name, tag }
  }
  if (digest !== undefined) {
    if (!DIGEST.test(digest)) throw invalid(`invalid reference format: invalid digest: ${fromImage}`)
    return explicitTag ? { name: named.name, tag: named.tag, digest } : { name: named.name, digest }
  }
  return { name: named.name, tag: named.tag }
}

/** The registry host of a normalised name and the repository path on it: `docker.io/library/bb` → docker.io, library/bb. */
export function splitDomain (name: string): { domain: string, path: string } {
  const i = name.indexOf('/')
  return { domain: name.slice(0, i), path: name.slice(i + 1) }
}

/** Validates a `repo` and `tag` pair as POST /images/{name}/tag and import take them. */
export function parseRepoTag (repo: string, tag: string | undefined): NamedRef {
  if (repo.includes(':') && repo.lastIndexOf(':') > repo.lastIndexOf('/') && (tag === undefined || tag === '')) return parseNamed(repo)
  const problem = repoProblem(repo)
  if (problem !== undefined) throw invalid(`Error parsing reference: "${repo}" is not a valid repository/tag: invalid reference format: ${problem}`)
  const t = tag === undefined || tag === '' ? DEFAULT_TAG : tag
  if (!TAG.test(t)) throw invalid(`Error parsing reference: "${repo}:${t}" is not a valid repository/tag: invalid tag format`)
  return { name: normalizeRepo(repo), tag: t }
}

/** `docker.io/library/bb` → `bb`, `docker.io/me/x` → `me/x`; other registries unchanged. */
export function familiarName (name: string): string {
  if (name.startsWith(`${DEFAULT_DOMAIN}/library/`) && name.split('/').length === 3) return name.slice(`${DEFAULT_DOMAIN}/library/`.length)
  if (name.startsWith(`${DEFAULT_DOMAIN}/`)) return name.slice(DEFAULT_DOMAIN.length + 1)
  return name
}

/** The key a tag is stored under: `docker.io/library/bb:latest`. */
export const refKey = (r: NamedRef): string => `${r.name}:${r.tag}`

/** Splits a stored key back into name and tag. */
export function splitKey (key: string): NamedRef {
  const i = key.lastIndexOf(':')
  return { name: key.slice(0, i), tag: key.slice(i + 1) }
}

/** The familiar `name:tag` of a stored key, as RepoTags shows it. */
export const familiarKey = (key: string): string => { const r = splitKey(key); return `${familiarName(r.name)}:${r.tag}` }

/** The 12-hex short form of an id, as Docker prints it. */
export const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12)
