/**
 * Where a registry domain is reached and how: the daemon's
 * `--registry-mirror`, `--insecure-registry` and `<root>/certs.d` turned
 * into a list of endpoints to try in order, as moby's registry service does
 * (registry/service.go lookupV2Endpoints, registry/config.go).
 *
 *  - docker.io: each mirror, then registry-1.docker.io.
 *  - a secure registry: HTTPS, verified against the system CAs plus the
 *    `*.crt` files of `certs.d/HOST:PORT/`, with the client certificate
 *    there (`*.cert` + `*.key`) for a registry that asks for one.
 *  - an insecure one (`--insecure-registry`, and 127.0.0.0/8 always):
 *    HTTPS without verification, then plain HTTP.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { BlockList, isIP } from 'node:net'
import { join } from 'node:path'
import { rootCertificates } from 'node:tls'
import { invalid, registryFailed } from '../errors.js'

/** The daemon's registry options. */
export interface RegistryHosts {
  /** docker.io mirrors, normalised as `https://host[:port]/`. */
  mirrors: readonly string[]
  /** `HOST[:PORT]` or CIDRs given with --insecure-registry (127.0.0.0/8 is added here, not listed). */
  insecure: readonly string[]
  /** `<root>/certs.d`: per-registry CA certificates. */
  certsDir: string
}

/** One way to reach a registry. */
export interface Endpoint {
  /** `https://host:port`: API paths are appended. */
  base: string
  /** A mirror is left for the next endpoint on any failure (moby's continueOnError). */
  mirror: boolean
  /** For HTTPS: the CAs to trust (undefined: the system's), whether to verify at all, and the client certificate of certs.d (PEM). */
  tls?: { ca?: string[], verify: boolean, cert?: string, key?: string }
}

/** The registry options of berthd's config: its flags, and certs.d under its root. */
export function registryHosts (config: { registryMirrors: readonly string[], insecureRegistries: readonly string[], root: string }): RegistryHosts {
  return { mirrors: config.registryMirrors, insecure: config.insecureRegistries, certsDir: join(config.root, 'certs.d') }
}

/** Docker's default: loopback registries are insecure. */
export const DEFAULT_INSECURE_CIDRS = ['127.0.0.0/8']
const UPSTREAM = 'https://registry-1.docker.io'

/**
 * Checks and normalises a --registry-mirror URL as moby's ValidateMirror:
 * http or https, no path, query or fragment; the result ends with `/`.
 */
export function normalizeMirror (url: string): string {
  let u: URL
  try { u = new URL(url) } catch { throw invalid(`invalid mirror: ${JSON.stringify(url)} is not a valid URI`) }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid(`invalid mirror: unsupported scheme ${JSON.stringify(u.protocol.slice(0, -1))} in ${JSON.stringify(url)}`)
  if ((u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.hash !== '' || u.username !== '') throw invalid(`invalid mirror: path, query, or fragment at end of the URI ${JSON.stringify(url)}`)
  return `${u.protocol}//${u.host}/`
}

/** Checks an --insecure-registry value: a CIDR or HOST[:PORT] (no scheme). */
export function checkInsecure (entry: string): void {
  if (entry.includes('://')) throw invalid(`insecure registry ${entry} should not contain '://'`)
  if (entry.includes('/')) { if (cidr(entry) === undefined) throw invalid(`insecure registry ${entry} is not a valid CIDR`); return }
  if (!/^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::\d+)?$/.test(entry)) throw invalid(`insecure registry ${entry} is not a valid host[:port]`)
}

function cidr (s: string): { net: string, prefix: number, family: 'ipv4' | 'ipv6' } | undefined {
  const [net, bits] = s.split('/')
  const v = isIP(net ?? '')
  const prefix = Number(bits)
  if (v === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (v === 4 ? 32 : 128)) return undefined
  return { net: net!, prefix, family: v === 4 ? 'ipv4' : 'ipv6' }
}

/** The host of `domain` (`host:port`, `[::1]:5000`) without brackets or port. */
function hostOf (domain: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(domain)
  if (m !== null) return m[1]!
  return domain.replace(/:\d+$/, '')
}

/**
 * Is `domain` an insecure registry: named as HOST or HOST:PORT, or an
 * address inside one of the CIDRs (127.0.0.0/8 always). moby resolves host
 * names to match them against CIDRs; berth matches IP literals and
 * `localhost`, and does no DNS look-up for it. Pure.
 */
export function isInsecure (domain: string, insecure: readonly string[]): boolean {
  const host = hostOf(domain)
  if (insecure.includes(domain) || insecure.includes(host)) return true
  const blocks = new BlockList()
  for (const c of [...DEFAULT_INSECURE_CIDRS, ...insecure]) {
    const n = c.includes('/') ? cidr(c) : undefined
    if (n !== undefined) blocks.addSubnet(n.net, n.prefix, n.family)
  }
  const ip = host === 'localhost' ? '127.0.0.1' : host
  const v = isIP(ip)
  return v !== 0 && blocks.check(ip, v === 4 ? 'ipv4' : 'ipv6')
}

/**
 * What `certs.d/<domain>/` holds, as moby's ReadCertsDirectory reads it:
 * CA certificates (`*.crt`) and a client certificate (`*.cert`) with its
 * key (`*.key` of the same name), for registries that ask for mutual TLS.
 * Nothing when the dir is missing; a certificate without its key (or a key
 * without its certificate) is an error, with moby's words.
 */
function certsFor (certsDir: string, domain: string): { ca: string[], client?: { cert: string, key: string } } {
  const dir = join(certsDir, domain)
  let names: string[]
  try { names = readdirSync(dir).sort() } catch { return { ca: [] } }
  const read = (n: string): string => readFileSync(join(dir, n), 'utf8')
  const ca = names.filter(n => n.endsWith('.crt')).map(read)
  const certs = names.filter(n => n.endsWith('.cert'))
  const keys = names.filter(n => n.endsWith('.key'))
  for (const c of certs) if (!keys.includes(`${c.slice(0, -5)}.key`)) throw registryFailed(`missing key ${c.slice(0, -5)}.key for client certificate ${c}. CA certificates must use a .crt extension`)
  for (const k of keys) if (!certs.includes(`${k.slice(0, -4)}.cert`)) throw registryFailed(`missing client certificate ${k.slice(0, -4)}.cert for key ${k}`)
  const first = certs[0]
  return { ca, ...first !== undefined ? { client: { cert: read(first), key: read(`${first.slice(0, -5)}.key`) } } : {} }
}

/** How to reach `host` (a domain or a mirror's host) over HTTPS, and over HTTP too when it is insecure. */
function hostEndpoints (host: string, hosts: RegistryHosts, mirror: boolean, scheme = 'https'): Endpoint[] {
  if (scheme === 'http') return [{ base: `http://${host}`, mirror }]
  // As in moby, certs.d applies to an insecure registry's TLS too: its client certificate is still sent.
  const { ca, client } = certsFor(hosts.certsDir, host)
  if (isInsecure(host, hosts.insecure)) return [{ base: `https://${host}`, mirror, tls: { verify: false, ...client } }, { base: `http://${host}`, mirror }]
  // Node's `ca` replaces the system's roots: certs.d adds to them, as in moby's ReadCertsDirectory.
  return [{ base: `https://${host}`, mirror, tls: { verify: true, ...ca.length > 0 ? { ca: [...rootCertificates, ...ca] } : {}, ...client } }]
}

/** The endpoints to try for `domain`, in order. Reads certs.d; otherwise pure. */
export function endpointsFor (domain: string, hosts: RegistryHosts): Endpoint[] {
  if (domain !== 'docker.io') return hostEndpoints(domain, hosts, false)
  const mirrors = hosts.mirrors.flatMap(m => { const u = new URL(m); return hostEndpoints(u.host, hosts, true, u.protocol.slice(0, -1)) })
  return [...mirrors, { base: UPSTREAM, mirror: false, tls: { verify: true } }]
}

/** The endpoints credentials may go to: `endpointsFor` without the mirrors, as moby's push and login look them up. */
export const upstreamEndpoints = (domain: string, hosts: RegistryHosts): Endpoint[] => endpointsFor(domain, hosts).filter(e => !e.mirror)

/** Docker's /info RegistryConfig. */
export interface RegistryInfo {
  AllowNondistributableArtifactsCIDRs: string[]
  AllowNondistributableArtifactsHostnames: string[]
  InsecureRegistryCIDRs: string[]
  IndexConfigs: Record<string, unknown>
  Mirrors: string[]
}

/** Docker's /info RegistryConfig for these options. Pure. */
export function registryInfo (hosts: RegistryHosts): RegistryInfo {
  const named = hosts.insecure.filter(e => !e.includes('/'))
  const index = (name: string, secure: boolean, official: boolean, mirrors: readonly string[] = []): unknown => ({ Name: name, Mirrors: mirrors, Secure: secure, Official: official })
  return {
    AllowNondistributableArtifactsCIDRs: [],
    AllowNondistributableArtifactsHostnames: [],
    InsecureRegistryCIDRs: [...DEFAULT_INSECURE_CIDRS, ...hosts.insecure.filter(e => e.includes('/'))],
    IndexConfigs: Object.fromEntries([['docker.io', index('docker.io', true, true, hosts.mirrors)], ...named.map(n => [n, index(n, false, false)])]),
    Mirrors: [...hosts.mirrors]
  }
}
