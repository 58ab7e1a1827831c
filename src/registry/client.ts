/**
 * A client of the registry HTTP API v2 (distribution spec): the `/v2/` ping,
 * manifests, blobs, and the auth a registry asks for (auth.ts). Written on
 * undici rather than driving skopeo, so that a pull streams straight into
 * berth's store with Docker's per-layer progress (see
 * shared/reference/next-capabilities.md §A).
 *
 * A Registry speaks to one endpoint (hosts.ts decides which, and the TLS
 * it needs). Blobs can be fetched from an offset with an HTTP Range request,
 * so that a dropped download resumes (ingest.ts).
 */
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { Agent, interceptors, type Dispatcher } from 'undici'
import { type BerthError, invalid, manifestUnknown, pullDenied, registryFailed } from '../errors.js'
import { Authorizer, type AuthConfig } from './auth.js'
import type { Endpoint } from './hosts.js'

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
export const ACCEPT = [MEDIA.ociIndex, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.dockerManifest].join(', ')
/** moby's maxManifestBodySize: a bigger manifest is refused unread. */
export const MANIFEST_MAX = 4 * 1024 * 1024
const DIGEST = /^sha256:[0-9a-f]{64}$/
/** Node's codes for a certificate that does not verify: Go (and so Docker) calls them all x509 errors. */
const UNKNOWN_AUTHORITY = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT'])
/** Errors of requests that never got an answer (refused, reset, TLS): the next endpoint may be tried. */
const unreachable = new WeakSet<object>()
/** True when `err` is a request that got no answer from the registry. */
export const isUnreachable = (err: unknown): boolean => typeof err === 'object' && err !== null && unreachable.has(err)

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

/** A blob's body from `start` on (0 when the registry sent all of it) and the blob's whole size (0 if unknown). */
export interface BlobBody { body: Dispatcher.ResponseData['body'], start: number, total: number }

/** The start and total of a `Content-Range: bytes S-E/T` header. Pure. */
export function parseContentRange (header: string): { start: number, total: number } | undefined {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header.trim())
  return m === null ? undefined : { start: Number(m[1]), total: m[2] === '*' ? 0 : Number(m[2]) }
}

/** TLS alerts of a registry that wants a client certificate, as Go words them. */
const CLIENT_CERT_ALERTS: Record<string, string> = { ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'certificate required', ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'bad certificate', ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'unknown certificate authority' }

/**
 * What a failed request says, in Go's words where Docker's users know them.
 * With TLS 1.3 a server's refusal of the client certificate comes after the
 * handshake, and undici sees only the connection closed, unanswered: over
 * HTTPS without a client certificate that gets a hint to certs.d.
 */
function whyUnreachable (err: unknown, endpoint: Endpoint): string {
  const code = (err as NodeJS.ErrnoException).code ?? ''
  if (code === 'ECONNREFUSED') return 'connect: connection refused'
  if (CLIENT_CERT_ALERTS[code] !== undefined) return `remote error: tls: ${CLIENT_CERT_ALERTS[code]}`
  if (code === 'UND_ERR_SOCKET' && endpoint.tls !== undefined && endpoint.tls.cert === undefined && (err as { socket?: { bytesRead?: number } }).socket?.bytesRead === 0) {
    return `${(err as Error).message} before answering (a registry that asks for a client certificate gets one from client.cert and client.key in certs.d/${new URL(endpoint.base).host})`
  }
  if (UNKNOWN_AUTHORITY.has(code)) return 'tls: failed to verify certificate: x509: certificate signed by unknown authority'
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `tls: failed to verify certificate: x509: ${(err as Error).message}`
  if (code === 'CERT_HAS_EXPIRED') return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid'
  return (err as Error).message
}

/** The registry of one domain, for the pulls or pushes of one repository (`path`, e.g. library/bb). */
export class Registry {
  readonly base: string
  private readonly dispatcher: Dispatcher
  readonly auth: Authorizer
  /** The token scopes of the repository's requests. */
  readonly scopes: string[]
  private readonly refusal: (message: string) => BerthError

  /** `familiar` names the repository in errors, as Docker does (`bb`, `127.0.0.1:5000/bb`); `path` '' is the registry itself (a login). */
  constructor (readonly endpoint: Endpoint, readonly path: string, readonly familiar: string, opts: RegistryOptions = {}) {
    this.base = endpoint.base
    // As in moby, the endpoint's TLS settings go with its transport, redirects included (its CAs add to the system's).
    const t = endpoint.tls
    const tls = t === undefined ? {} : { connect: { rejectUnauthorized: t.verify, ...t.ca !== undefined ? { ca: t.ca } : {}, ...t.cert !== undefined ? { cert: t.cert, key: t.key } : {} } }
    this.dispatcher = new Agent({ connectTimeout: 10_000, headersTimeout: 60_000, bodyTimeout: 60_000, ...tls }).compose(interceptors.redirect({ maxRedirections: 5 }))
    this.scopes = path === '' ? [] : [`repository:${path}:${opts.push === true ? 'pull,push' : 'pull'}`]
    this.refusal = opts.refusal ?? registryFailed
    this.auth = new Authorizer(opts.auth, async (url, method, headers, body) => {
      const r = await this.request(url, method, headers, body)
      return { status: r.statusCode, body: (await readCapped(r.body, 1024 * 1024, 'the token answer')).toString('utf8') }
    }, opts.offline)
  }

  /** Set once `close` was called: a download is then not retried. */
  closed = false

  /** Closes the connections; `abort` cuts off requests still running. */
  async close (abort = false): Promise<void> {
    this.closed = true
    await (abort ? this.dispatcher.destroy() : this.dispatcher.close())
  }

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
   * A blob's body from byte `from` on. With `from` > 0 this is a Range
   * request; a registry that ignores Range answers 200 with the whole blob,
   * and `start` is then 0. A 416 (the range lies past the blob's end) is
   * asked again whole.
   */
  async blob (digest: string, from = 0): Promise<BlobBody> {
    const r = await this.blobResponse(digest, from)
    if (r.statusCode === 206) {
      const range = parseContentRange(String(r.headers['content-range'] ?? ''))
      if (range === undefined || range.start !== from) { r.body.destroy(); throw registryFailed(`error pulling blob ${digest} of ${this.familiar}: the registry answered bytes ${String(r.headers['content-range'])} for a request from byte ${from}`) }
      return { body: r.body, start: from, total: range.total }
    }
    return { body: r.body, start: 0, total: Number(r.headers['content-length'] ?? 0) }
  }

  private async blobResponse (digest: string, from = 0): Promise<Dispatcher.ResponseData> {
    if (!DIGEST.test(digest)) throw invalid(`invalid digest ${digest}`)
    const r = await this.call('GET', `/v2/${this.path}/blobs/${digest}`, from > 0 ? { headers: { range: `bytes=${from}-` } } : {})
    if (r.statusCode === 416 && from > 0) { await r.body.dump(); return await this.blobResponse(digest, 0) }
    if (r.statusCode !== 200 && !(r.statusCode === 206 && from > 0)) {
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
      const e = registryFailed(`${goMethod(method)} "${url}": ${whyUnreachable(err, this.endpoint)}`, err)
      unreachable.add(e)
      throw e
    }
  }
}

/**
 * `fn` on a Registry of each endpoint in turn (hosts.ts), until one
 * succeeds: a mirror gives way on any failure (moby's continueOnError),
 * HTTPS to HTTP only when there was no answer. A failed try's Registry is
 * closed; what `fn` returns (and the Registry it holds) is the caller's.
 */
export async function firstEndpoint<T> (endpoints: Endpoint[], open: (e: Endpoint) => Registry, fn: (reg: Registry) => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    const endpoint = endpoints[i]!
    const reg = open(endpoint)
    try {
      return await fn(reg)
    } catch (err) {
      await reg.close(true)
      if (i === endpoints.length - 1 || !(endpoint.mirror || isUnreachable(err))) throw err
    }
  }
}

/** A method as Go's net/http names it in errors: `Get`, `Put`, `Head`. */
const goMethod = (m: string): string => m.charAt(0) + m.slice(1).toLowerCase()

const withAuth = (headers: Record<string, string>, auth: string | undefined): Record<string, string> => auth === undefined ? headers : { ...headers, authorization: auth }
