/**
 * Registry credentials: Docker's AuthConfig as clients send it (the
 * `X-Registry-Auth` header of pulls and pushes, the body of `POST /auth`),
 * and the Authorization a registry's challenge asks for with them: Basic, or
 * a Bearer token from the challenge's realm (distribution's token spec; with
 * an identity token, its OAuth2 refresh-token form). Credentials live in
 * memory for one request only: they are never logged and never written.
 */
import { createHash } from 'node:crypto'
import { invalid } from '../errors.js'

/** Docker's AuthConfig (moby api/types/registry), keys as the clients send them. */
export interface AuthConfig {
  username?: string
  password?: string
  /** base64 of `username:password`, as config.json keeps it. */
  auth?: string
  email?: string
  serveraddress?: string
  /** An OAuth2 refresh token a login returned: traded for access tokens. */
  identitytoken?: string
  /** A bearer token sent to the registry as it is. */
  registrytoken?: string
}

const FIELDS = ['username', 'password', 'auth', 'email', 'serveraddress', 'identitytoken', 'registrytoken'] as const

/**
 * Checks an AuthConfig document. Keys match case-insensitively, as Go's JSON
 * decoding does; `auth` stands for username and password when they are not
 * given. Returns undefined when it holds no credential (anonymous). Pure.
 */
export function authConfig (doc: unknown): AuthConfig | undefined {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw invalid('invalid registry credentials: not a JSON object')
  const out: AuthConfig = {}
  for (const [key, v] of Object.entries(doc)) {
    const k = FIELDS.find(f => f === key.toLowerCase())
    if (k === undefined || v === undefined || v === null || v === '') continue
    if (typeof v !== 'string') throw invalid(`invalid registry credentials: ${k} must be a string`)
    out[k] = v
  }
  // Sent as it is in an Authorization header, where only visible ASCII may go.
  if (out.registrytoken !== undefined && !/^[\x21-\x7e]+$/.test(out.registrytoken)) throw invalid('invalid registry credentials: registrytoken must be printable ASCII')
  if (out.username === undefined && out.auth !== undefined) {
    const pair = Buffer.from(out.auth, 'base64').toString('utf8')
    const colon = pair.indexOf(':')
    if (colon < 0) throw invalid('invalid registry credentials: auth is not base64 of username:password')
    out.username = pair.slice(0, colon)
    out.password = pair.slice(colon + 1)
  }
  return out.username !== undefined || out.identitytoken !== undefined || out.registrytoken !== undefined ? out : undefined
}

/** Decodes `X-Registry-Auth` (base64url JSON; standard base64 is read too). Absent, empty or `{}` is anonymous. Pure. */
export function decodeAuthHeader (header: string | undefined): AuthConfig | undefined {
  if (header === undefined || header.trim() === '') return undefined
  let doc: unknown
  try { doc = JSON.parse(Buffer.from(header.trim(), 'base64url').toString('utf8')) } catch { throw invalid('invalid X-Registry-Auth header: not base64url-encoded JSON') }
  return authConfig(doc)
}

/**
 * Decodes `X-Registry-Config` (a build's credentials: base64url JSON of a map
 * from registry address to AuthConfig) into credentials per registry domain. Pure.
 */
export function decodeRegistryConfig (header: string | undefined): Map<string, AuthConfig> {
  const out = new Map<string, AuthConfig>()
  if (header === undefined || header.trim() === '') return out
  let doc: unknown
  try { doc = JSON.parse(Buffer.from(header.trim(), 'base64url').toString('utf8')) } catch { throw invalid('invalid X-Registry-Config header: not base64url-encoded JSON') }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw invalid('invalid X-Registry-Config header: not a JSON object')
  for (const [address, conf] of Object.entries(doc)) {
    const auth = authConfig(conf)
    if (auth !== undefined) out.set(loginDomain(address), auth)
  }
  return out
}

/** The registry domain a login's serveraddress names: Docker Hub's index URL (or none) is docker.io. Pure. */
export function loginDomain (serveraddress: string | undefined): string {
  const s = (serveraddress ?? '').trim().replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '')
  if (s === '' || s === 'index.docker.io' || s === 'registry-1.docker.io' || s === 'docker.io') return 'docker.io'
  return s.toLowerCase()
}

/** An HTTP exchange with a token server, through the registry client's connections. */
export type TokenFetch = (url: string, method: 'GET' | 'POST', headers: Record<string, string>, body?: string) => Promise<{ status: number, body: string }>

/** What answering a challenge gave: a header to retry with, or why there is none. */
export type Answer = { header: string } | { refused: string } | { none: 'basic' | 'unknown' }

/** The reason a token server gives for a refusal: distribution's `errors`, Docker Hub's `details`, or the text. Pure. */
export function tokenRefusal (status: number, body: string): string {
  try {
    const doc = JSON.parse(body) as { details?: unknown, errors?: Array<{ code?: string, message?: string }> }
    if (typeof doc.details === 'string' && doc.details !== '') return `unauthorized: ${doc.details}`
    const e = doc.errors?.[0]
    if (e !== undefined) return `${String(e.code ?? 'unauthorized').toLowerCase()}: ${String(e.message ?? '')}`
  } catch {}
  const text = body.trim().slice(0, 200)
  return text !== '' ? `unauthorized: ${text}` : `the token server answered ${status}`
}

/**
 * The Authorization of one registry client: sent up front once the registry
 * has asked for it (Basic), or a Bearer token per scope set, cached per
 * realm, service, scopes and credential.
 */
export class Authorizer {
  private basic = false
  private bearer: { realm: string, service?: string } | undefined
  private readonly tokens = new Map<string, string>()
  /** The refresh token an offline (login) token request returned. */
  identityToken = ''

  /** `offline` asks for a refresh token as `docker login` does (client_id=docker, offline_token=true). */
  constructor (private readonly creds: AuthConfig | undefined, private readonly fetch: TokenFetch, private readonly offline = false) {}

  get hasCredentials (): boolean { return this.creds !== undefined }

  /** The Authorization header to send up front for `scopes`, if one is known. */
  header (scopes: string[]): string | undefined {
    if (this.creds?.registrytoken !== undefined) return `Bearer ${this.creds.registrytoken}`
    if (this.basic) return this.basicHeader()
    if (this.bearer === undefined) return undefined
    const token = this.tokens.get(this.key(this.bearer, scopes))
    return token === undefined ? undefined : `Bearer ${token}`
  }

  /** After a 401 whose request carried `sent`: what to retry with. A token the registry refused is dropped and asked for again. */
  async answer (challenge: { scheme: string, params: Record<string, string> } | undefined, scopes: string[], sent: string | undefined): Promise<Answer> {
    // A registry token is all there is to send: refused, it is not traded for an anonymous one.
    if (this.creds?.registrytoken !== undefined) return { refused: 'unauthorized: the registry token was refused' }
    if (challenge?.scheme === 'basic') {
      const header = this.basicHeader()
      if (header === undefined) return { none: 'basic' }
      this.basic = true
      return header === sent ? { refused: 'unauthorized: authentication required' } : { header }
    }
    const realm = challenge?.scheme === 'bearer' ? challenge.params.realm : undefined
    if (realm === undefined) return { none: 'unknown' }
    this.bearer = { realm, ...challenge!.params.service !== undefined ? { service: challenge!.params.service } : {} }
    const key = this.key(this.bearer, scopes)
    if (sent !== undefined && sent === `Bearer ${this.tokens.get(key) ?? ''}`) this.tokens.delete(key)
    const got = await this.token(this.bearer, scopes)
    if ('refused' in got) return got
    this.tokens.set(key, got.token)
    return { header: `Bearer ${got.token}` }
  }

  private basicHeader (): string | undefined {
    const c = this.creds
    if (c?.username === undefined) return undefined
    return `Basic ${Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64')}`
  }

  private key (b: { realm: string, service?: string }, scopes: string[]): string {
    const who = this.creds === undefined ? '' : createHash('sha256').update(JSON.stringify(this.creds)).digest('hex')
    return [b.realm, b.service ?? '', [...scopes].sort().join(' '), who].join('|')
  }

  /** A token from the realm: with the identity token (OAuth2 POST), with Basic credentials, or anonymous. */
  private async token (b: { realm: string, service?: string }, scopes: string[]): Promise<{ token: string } | { refused: string }> {
    const url = new URL(b.realm)
    const c = this.creds
    let r: { status: number, body: string }
    if (c?.identitytoken !== undefined) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.identitytoken, client_id: 'docker' })
      if (b.service !== undefined) form.set('service', b.service)
      if (scopes.length > 0) form.set('scope', scopes.join(' '))
      r = await this.fetch(url.toString(), 'POST', { 'content-type': 'application/x-www-form-urlencoded' }, form.toString())
    } else {
      if (b.service !== undefined) url.searchParams.set('service', b.service)
      for (const s of scopes) url.searchParams.append('scope', s)
      const headers: Record<string, string> = {}
      const basic = this.basicHeader()
      if (basic !== undefined) { headers.authorization = basic; url.searchParams.set('account', c!.username!) }
      if (this.offline && basic !== undefined) { url.searchParams.set('client_id', 'docker'); url.searchParams.set('offline_token', 'true') }
      r = await this.fetch(url.toString(), 'GET', headers)
    }
    if (r.status !== 200) return { refused: tokenRefusal(r.status, r.body) }
    let doc: { token?: unknown, access_token?: unknown, refresh_token?: unknown } = {}
    try { doc = JSON.parse(r.body) as typeof doc } catch {}
    const token = doc.token ?? doc.access_token
    if (typeof token !== 'string' || token === '') return { refused: `the token server ${url.origin} answered no token` }
    if (typeof doc.refresh_token === 'string') this.identityToken = doc.refresh_token
    return { token }
  }
}
