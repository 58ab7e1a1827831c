/**
 * A client of the registry HTTP API v2 (distribution spec): the `/v2/` ping,
 * manifests, blobs, and the auth a registry asks for (auth.ts). Written on
 * undici rather than driving skopeo, so that a pull streams straight into
 * berth's store with Docker's per-layer progress (see
 * shared/reference/next-capabilities.md §A).
 *
 * A registry on a loopback address is spoken to in plain HTTP, as Docker
 * treats 127.0.0.0/8 as an insecure registry; every other one in HTTPS.
 */
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Agent, interceptors, type Dispatcher } from 'undici'
import { type BerthError, invalid, manifestUnknown, pullDenied, registryFailed } from '../errors.js'
import { Authorizer, type AuthConfig } from './auth.js'

export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  schema1: 'application/vnd.docker.distribution.manifest.v1+json',
  schema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws'
} as const

/**
 * Every manifest type berth reads: registry 2.8 answers 404 for an OCI index
 * unless its type is accepted, so all go in every request.
 */
const ACCEPT = [MEDIA.ociIndex, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.dockerManifest].join(', ')
/** moby's maxManifestBodySize: a bigger manifest is refused unread. */
export const MANIFEST_MAX = 4 * 1024 * 1024
const DIGEST = /^sha256:[0-9a-f]{64}$/
const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/

/** A manifest as the registry served it: the exact bytes, their digest, and the parsed document. */
export interface FetchedManifest { mediaType: string, digest: string, bytes: Buffer, doc: any }

/** A challenge from `WWW-Authenticate`: its scheme and parameters (realm, service, scope). */
export interface Challenge { scheme: string, params: Record<string, string> }

/** Parses a `WWW-Authenticate` header's first challenge. Pure. */
export function parseChallenge (header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header)
  if (m === null) return undefined
  const params: Record<string, string> = {}
  for (const p of m[2]!.matchAll(/([A-Za-z]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1')
  return { scheme: m[1]!.toLowerCase(), params }
}

/** The base URL of a registry domain: docker.io's API lives at registry-1.docker.io. */
export function registryBase (domain: string): string {
  if (domain === 'docker.io') return 'https://registry-1.docker.io'
  return `${LOOPBACK.test(domain) ? 'http' : 'https'}://${domain}`
}

/** The first error a registry's JSON error body names: its code and message. */
export function registryError (body: string): { code: string, message: string } {
  try {
    const e = (JSON.parse(body) as { errors?: Array<{ code?: string, message?: string }> }).errors?.[0]
    if (e !== undefined) return { code: String(e.code ?? ''), message: String(e.message ?? '') }
  } catch {}
  return { code: '', message: body.trim().slice(0, 200) }
}

/** Reads at most `max` bytes of a body; more is refused. */
async function readCapped (body: Dispatcher.ResponseData['body'], max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = []
  let n = 0
  for await (const c of body) {
    n += (c as Buffer).length
    if (n > max) { body.destroy(); throw invalid(`${what} is larger than ${max} bytes`) }
    chunks.push(c as Buffer)
  }
  return Buffer.concat(chunks)
}

/** What a client of one repository is for. */
export interface RegistryOptions {
  /** The credentials the client sent (X-Registry-Auth, or a login's). */
  auth?: AuthConfig
  /** Push access to the repository besides pull. */
  push?: boolean
  /** Ask the token server for a refresh token (docker login); see Authorizer. */
  offline?: boolean
  /** The error a refusal of the credentials becomes: a 500 for pulls and pushes (a 401 makes the docker CLI prompt for a login), a 401 for /auth. */
  refusal?: (message: string) => BerthError
}

/** A request's options: its body (a stream is sent once, never retried) and the token scopes it needs, when not the repository's. */
export interface CallOptions { headers?: Record<string, string>, body?: Buffer | string | Readable, scopes?: string[] }

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`

/** The registry of one domain, for the pulls or pushes of one repository (`path`, e.g. library/bb). */
export class Registry {
  readonly base: string
  private readonly dispatcher: Dispatcher
  readonly auth: Authorizer
  /** The token scopes of the repository's requests. */
  readonly scopes: string[]
  private readonly refusal: (message: string) => BerthError

  /** `familiar` names the repository in errors, as Docker does (`bb`, `127.0.0.1:5000/bb`); `path` '' is the registry itself (a login). */
  constructor (domain: string, readonly path: string, readonly familiar: string, opts: RegistryOptions = {}) {
    this.base = registryBase(domain)
    this.dispatcher = new Agent({ connectTimeout: 10_000, headersTimeout: 60_000, bodyTimeout: 60_000 }).compose(interceptors.redirect({ maxRedirections: 5 }))
    this.scopes = path === '' ? [] : [`repository:${path}:${opts.push === true ? 'pull,push' : 'pull'}`]
    this.refusal = opts.refusal ?? registryFailed
    this.auth = new Authorizer(opts.auth, async (url, method, headers, body) => {
      const r = await this.request(url, method, headers, body)
      return { status: r.statusCode, body: (await readCapped(r.body, 1024 * 1024, 'the token answer')).toString('utf8') }
    }, opts.offline)
  }

  /** Closes the connections; `abort` cuts off requests still running. */
  async close (abort = false): Promise<void> { await (abort ? this.dispatcher.destroy() : this.dispatcher.close()) }

  /** GET /v2/: is the registry there and does it speak v2? A 401 is fine: auth comes per request. */
  async ping (): Promise<void> {
    const r = await this.send('GET', '/v2/', {})
    await r.body.dump()
    if (r.statusCode !== 200 && r.statusCode !== 401) throw registryFailed(`Get "${this.base}/v2/": the registry answered ${r.statusCode}`)
  }

  /** The manifest `ref` (a tag or digest) names; a digest is verified. */
  async manifest (ref: string): Promise<FetchedManifest> {
    const path = `/v2/${this.path}/manifests/${ref}`
    const r = await this.call('GET', path, { headers: { accept: ACCEPT } })
    const shown = DIGEST.test(ref) ? `${this.familiar}@${ref}` : `${this.familiar}:${ref}`
    if (r.statusCode !== 200) {
      const e = registryError(await r.body.text())
      if (r.statusCode === 401 && this.auth.hasCredentials) throw this.refused('GET', path, e)
      if (e.code === 'MANIFEST_UNKNOWN' || (r.statusCode === 404 && e.code === '')) throw manifestUnknown(shown, e.message || 'manifest unknown')
      if (e.code === 'NAME_UNKNOWN' || e.code === 'UNAUTHORIZED' || e.code === 'DENIED' || r.statusCode === 401 || r.statusCode === 403) {
        throw pullDenied(this.familiar, `${e.code.toLowerCase().replace(/_/g, ' ') || 'denied'}: ${e.message || 'requested access to the resource is denied'}`)
      }
      throw registryFailed(`Get "${this.base}/v2/${this.path}/manifests/${ref}": ${r.statusCode} ${e.code} ${e.message}`.trim())
    }
    const length = Number(r.headers['content-length'] ?? 0)
    if (length > MANIFEST_MAX) { r.body.destroy(); throw invalid(`the manifest of ${shown} is larger than ${MANIFEST_MAX} bytes`) }
    const bytes = await readCapped(r.body, MANIFEST_MAX, `the manifest of ${shown}`)
    const digest = sha256(bytes)
    if (DIGEST.test(ref) && digest !== ref) throw invalid(`manifest verification failed for digest ${ref}`)
    let doc: any
    try { doc = JSON.parse(bytes.toString('utf8')) } catch (err) { throw invalid(`the manifest of ${shown} is not JSON`, err) }
    const header = String(r.headers['content-type'] ?? '').split(';')[0]!.trim()
    const mediaType = typeof doc?.mediaType === 'string' ? doc.mediaType : header
    return { mediaType, digest, bytes, doc }
  }

  /** A small blob (an image config), read whole and verified. */
  async blobBytes (digest: string, max: number): Promise<Buffer> {
    const r = await this.blobResponse(digest)
    const bytes = await readCapped(r.body, max, `blob ${digest}`)
    if (sha256(bytes) !== digest) throw invalid(`filesystem layer verification failed for digest ${digest}`)
    return bytes
  }

  /**
   * Downloads a blob to `file`, hashing it on the way; a blob whose sha256
   * is not `digest` is refused (the caller removes the file). `progress`
   * gets the bytes so far and the total.
   */
  async download (digest: string, file: string, progress: (current: number, total: number) => void): Promise<void> {
    const r = await this.blobResponse(digest)
    const total = Number(r.headers['content-length'] ?? 0)
    const hash = createHash('sha256')
    let current = 0
    const meter = new Transform({
      transform (chunk: Buffer, _enc, cb) { hash.update(chunk); current += chunk.length; progress(current, total); cb(null, chunk) }
    })
    await pipeline(r.body, meter, createWriteStream(file, { flags: 'wx', mode: 0o600 }))
    if (`sha256:${hash.digest('hex')}` !== digest) throw invalid(`filesystem layer verification failed for digest ${digest}`)
  }

  private async blobResponse (digest: string): Promise<Dispatcher.ResponseData> {
    if (!DIGEST.test(digest)) throw invalid(`invalid digest ${digest}`)
    const r = await this.call('GET', `/v2/${this.path}/blobs/${digest}`)
    if (r.statusCode !== 200) {
      const e = registryError(await r.body.text())
      throw registryFailed(`error pulling blob ${digest} of ${this.familiar}: ${r.statusCode} ${e.code} ${e.message}`.trim())
    }
    return r
  }

  /**
   * A request of the registry's API with the Authorization its challenge
   * asks for: a 401 is answered once (Basic, or a token for `scopes`) and
   * the request sent again, unless its body is a stream. A token server that
   * refuses the credentials, or Basic that none were given for, is an error;
   * any other 401 is the caller's to read.
   */
  async call (method: string, path: string, opts: CallOptions = {}): Promise<Dispatcher.ResponseData> {
    const scopes = opts.scopes ?? this.scopes
    const headers = opts.headers ?? {}
    const sent = this.auth.header(scopes)
    const r = await this.send(method, path, withAuth(headers, sent), opts.body)
    if (r.statusCode !== 401 || opts.body instanceof Readable) return r
    const answer = await this.auth.answer(parseChallenge(String(r.headers['www-authenticate'] ?? '')), scopes, sent)
    if ('none' in answer && answer.none === 'unknown') return r
    await r.body.dump()
    if ('none' in answer) throw registryFailed(`${goMethod(method)} "${new URL(path, this.base).toString()}": no basic auth credentials`)
    if ('refused' in answer) throw this.auth.hasCredentials ? this.refusal(answer.refused) : pullDenied(this.familiar, `denied: ${answer.refused}`)
    return await this.send(method, path, withAuth(headers, answer.header), opts.body)
  }

  /** The error for a 401 to credentials: the registry's reason, as Docker shows it. */
  refused (method: string, path: string, e: { code: string, message: string }): BerthError {
    return this.refusal(`${goMethod(method)} "${new URL(path, this.base).toString()}": ${e.code.toLowerCase() || 'unauthorized'}: ${e.message || 'authentication required'}`)
  }

  /** A request of `path` (or an absolute URL, as upload Locations may be) on the registry. */
  private async send (method: string, path: string, headers: Record<string, string>, body?: CallOptions['body']): Promise<Dispatcher.ResponseData> {
    return await this.request(new URL(path, this.base).toString(), method, headers, body)
  }

  private async request (url: string, method: string, headers: Record<string, string>, body?: CallOptions['body']): Promise<Dispatcher.ResponseData> {
    const u = new URL(url)
    try {
      return await this.dispatcher.request({ origin: u.origin, path: `${u.pathname}${u.search}`, method: method as Dispatcher.HttpMethod, headers: { 'user-agent': 'berth', ...headers }, body })
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      const why = code === 'ECONNREFUSED' ? 'connect: connection refused' : (err as Error).message
      throw registryFailed(`${goMethod(method)} "${url}": ${why}`, err)
    }
  }
}

/** A method as Go's net/http names it in errors: `Get`, `Put`, `Head`. */
const goMethod = (m: string): string => m.charAt(0) + m.slice(1).toLowerCase()

const withAuth = (headers: Record<string, string>, auth: string | undefined): Record<string, string> => auth === undefined ? headers : { ...headers, authorization: auth }
