/**
 * A real registry for pull tests: Debian's docker-registry (distribution 2.8)
 * on 127.0.0.1 with a free port and its own storage dir, and fixture images
 * pushed to it with skopeo from a docker-archive or an OCI layout the test
 * writes. The registry's config names no proxy, notification, reporting or
 * remote storage, so it never contacts anything outside the machine.
 */
import { execa, type ResultPromise } from 'execa'
import { gzipSync } from 'node:zlib'
import { existsSync } from 'node:fs'
import { createPrivateKey, randomBytes, randomUUID, sign, X509Certificate } from 'node:crypto'
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { saveArchive, sha, until, type Daemon } from './helpers.js'

export const REGISTRY_BIN = '/usr/bin/docker-registry'
export const SKOPEO = '/usr/bin/skopeo'
/** Why registry tests cannot run here, or false. */
export const noRegistry: string | false = existsSync(REGISTRY_BIN) && existsSync(SKOPEO) ? false : 'docker-registry and skopeo are not installed (scripts/setup.sh installs them)'

type Tap = { teardown: (fn: () => unknown) => void }

/** One line of Docker's JSON progress stream (a push's result is an aux line). */
export type Msg = { status?: string, id?: string, progressDetail?: { current?: number, total?: number }, aux?: { Tag: string, Digest: string, Size: number }, error?: string, errorDetail?: { message: string } }

const registryAuth = (creds: object): string => Buffer.from(JSON.stringify(creds)).toString('base64url')

/** POSTs a request answered with a JSON-message stream, with `creds` in X-Registry-Auth: the status and, for a 200, the messages (else the error body's message). */
export async function stream (d: Daemon, path: string, creds?: object): Promise<{ status: number, msgs: Msg[], message?: string }> {
  const r = await d.client.request({ method: 'POST', path, headers: creds === undefined ? {} : { 'x-registry-auth': registryAuth(creds) } })
  const text = await r.body.text()
  if (r.statusCode !== 200) return { status: r.statusCode, msgs: [], message: (JSON.parse(text) as { message: string }).message }
  return { status: 200, msgs: text.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as Msg) }
}

/** POST /images/create?fromImage=…, see `stream`. */
export const pull = async (d: Daemon, query: string, creds?: object): ReturnType<typeof stream> => await stream(d, `/images/create?${query}`, creds)

/** The statuses of a stream, an aux line as `aux`, an error line as `error: …`. */
export const statuses = (msgs: Msg[]): string[] => msgs.map(m => m.status ?? (m.aux !== undefined ? 'aux' : `error: ${m.error ?? ''}`))

/** A temp dir removed at teardown. */
export async function tempDir (t: Tap): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-pull-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** Pushes a docker-archive of `layers` as `dest` (repo:tag); returns the image id. */
export async function pushArchive (t: Tap, reg: TestRegistry, layers: Buffer[], dest: string, config?: Record<string, unknown>): Promise<string> {
  const dir = await tempDir(t)
  const { archive, id } = await saveArchive(layers, 'fixture:latest', config)
  await writeFile(join(dir, 'image.tar'), archive)
  await reg.push(`docker-archive:${join(dir, 'image.tar')}`, dest)
  return id
}

/** A registry started for one test. */
export interface TestRegistry {
  /** `127.0.0.1:<port>`: the domain image names start with. */
  host: string
  /** Its storage dir (docker/registry/v2/... under it). */
  storage: string
  /** Copies `src` (a skopeo source such as docker-archive:/x.tar or oci:/dir) to `repo:tag` on the registry. */
  push: (src: string, dest: string, opts?: { all?: boolean, args?: string[] }) => Promise<void>
  /** The path of a blob's data in the storage dir. */
  blobFile: (digest: string) => string
}

async function freePort (address = '127.0.0.1'): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(0, address, resolve) })
  const port = (srv.address() as { port: number }).port
  await new Promise<void>(resolve => srv.close(() => resolve()))
  return port
}

/**
 * A token server for distribution's `auth: token`: anonymous, it grants what
 * is asked, but no pull-only token on repositories named secret*. A user of
 * `users` (Basic) gets everything; a wrong password is a 401. With
 * offline_token=true it also gives a refresh token, which a POST
 * (grant_type=refresh_token) trades for tokens as the user's password does.
 */
export interface TokenServer { realm: string, service: string, issuer: string, certFile: string, requests: URLSearchParams[], refreshTokens: Map<string, string> }

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url')

async function startTokenServer (t: Tap, dir: string, users: Record<string, string>): Promise<TokenServer> {
  const keyFile = join(dir, 'token.key')
  const certFile = join(dir, 'token.pem')
  await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=berth test token issuer'])
  const key = createPrivateKey(await readFile(keyFile))
  const der = new X509Certificate(await readFile(certFile)).raw
  const service = 'berth-test-registry'
  const issuer = 'berth-test-issuer'
  const requests: URLSearchParams[] = []
  const refreshTokens = new Map<string, string>()
  const answer = (req: IncomingMessage, res: ServerResponse, form: string): void => {
    const q = req.method === 'POST' ? new URLSearchParams(form) : new URL(req.url ?? '/', 'http://x').searchParams
    requests.push(q)
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    const [user, pass] = basic === undefined ? [] : Buffer.from(basic, 'base64').toString().split(':')
    const refreshed = q.get('grant_type') === 'refresh_token' ? refreshTokens.get(q.get('refresh_token') ?? '') : undefined
    if ((basic !== undefined && (user === undefined || users[user] !== pass)) || (q.get('grant_type') === 'refresh_token' && refreshed === undefined)) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }))
      return
    }
    const who = refreshed ?? user
    const scopes = q.getAll('scope').flatMap(s => s.split(' ')).filter(s => s !== '')
    // secret* may be pushed (a token for pull,push) but not pulled alone, so a fixture can be put there; a user may do anything.
    const access = scopes.map(s => s.split(':')).filter(([type, name, actions]) => type === 'repository' && name !== undefined && (who !== undefined || !name.startsWith('secret') || (actions ?? '').includes('push')))
      .map(([type, name, actions]) => ({ type, name, actions: (actions ?? '').split(',') }))
    const now = Math.floor(Date.now() / 1000)
    const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] }))
    const claims = b64url(JSON.stringify({ iss: issuer, sub: '', aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access }))
    const token = `${head}.${claims}.${b64url(sign('sha256', Buffer.from(`${head}.${claims}`), key))}`
    const refresh = who !== undefined && q.get('offline_token') === 'true' ? randomUUID() : undefined
    if (refresh !== undefined) refreshTokens.set(refresh, who!)
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300, ...refresh !== undefined ? { refresh_token: refresh } : {} }))
  }
  const server = createHttpServer((req, res) => {
    let form = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => { form += c })
    req.on('end', () => answer(req, res, form))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { server.close(() => resolve()); server.closeAllConnections() }))
  return { realm: `http://127.0.0.1:${(server.address() as { port: number }).port}/token`, service, issuer, certFile, requests, refreshTokens }
}

/** A CA and a server certificate for ::1 and 127.0.0.1 signed by it, made with openssl in `dir`; with a client certificate signed by it too, when asked. */
export interface TestCerts { caFile: string, certFile: string, keyFile: string, client?: { certFile: string, keyFile: string } }

export async function makeCerts (dir: string, client = false): Promise<TestCerts> {
  const f = (n: string): string => join(dir, n)
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  await execa('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=berth test CA'])
  await execa('openssl', ['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=berth test registry'])
  await writeFile(f('san.ext'), 'subjectAltName=IP:::1,IP:127.0.0.1\n')
  await execa('openssl', ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '1', '-extfile', f('san.ext')])
  if (client) {
    await execa('openssl', ['req', ...ec, '-keyout', f('client.key'), '-out', f('client.csr'), '-subj', '/CN=berth test client'])
    await writeFile(f('client.ext'), 'extendedKeyUsage=clientAuth\n')
    await execa('openssl', ['x509', '-req', '-in', f('client.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('client.cert'), '-days', '1', '-extfile', f('client.ext')])
  }
  return { caFile: f('ca.crt'), certFile: f('server.crt'), keyFile: f('server.key'), ...client ? { client: { certFile: f('client.cert'), keyFile: f('client.key') } } : {} }
}

const BCRYPT_SALT = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/**
 * A bcrypt hash of `password`, as the registry's htpasswd auth needs: made
 * by perl's crypt(), which is libxcrypt's and knows `$2b$` (Debian's
 * htpasswd-less base has perl; openssl has no bcrypt).
 */
export async function bcrypt (password: string): Promise<string> {
  const salt = [...randomBytes(21)].map(b => BCRYPT_SALT[b % 64]).join('') + '.Oeu'[randomBytes(1)[0]! % 4]
  const r = await execa('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, `$2b$05$${salt}`])
  if (!r.stdout.startsWith('$2b$05$') || r.stdout.length !== 60) throw new Error(`perl's crypt() made no bcrypt hash: ${r.stdout}`)
  return r.stdout
}

/**
 * Options of a test registry: Bearer tokens from a token server the test
 * runs, or Basic auth for `htpasswd`'s users; `users` are the token
 * server's. `tls` serves HTTPS on ::1; `clientCerts` also asks clients for a
 * certificate signed by the test's CA (distribution's http.tls.clientcas).
 */
export interface RegistryOptions { token?: boolean, htpasswd?: Record<string, string>, users?: Record<string, string>, tls?: boolean, clientCerts?: boolean }

/**
 * Starts a registry; it is stopped by pid and its dir removed at `t`'s
 * teardown. With `token`, it asks for Bearer tokens from a token server
 * the test runs (returned as `tokens`); with `htpasswd`, for Basic auth.
 * Fixtures are pushed as the first user, when there are users. With `tls`,
 * it serves HTTPS on ::1 (a secure registry for Docker, which counts only
 * 127.0.0.0/8 as insecure) with a CA and certificate made here (returned
 * as `certs`).
 */
export async function startRegistry (t: Tap, opts: RegistryOptions = {}): Promise<TestRegistry & { tokens?: TokenServer, certs?: TestCerts }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-registry-'))
  const procs: ResultPromise[] = []
  t.teardown(async () => {
    for (const proc of procs) if (proc.pid !== undefined && proc.exitCode === null) { proc.kill('SIGTERM'); await proc }
    await rm(dir, { recursive: true, force: true })
  })
  const storage = join(dir, 'storage')
  await mkdir(storage)
  const tokens = opts.token === true ? await startTokenServer(t, dir, opts.users ?? {}) : undefined
  const htpasswd = join(dir, 'htpasswd')
  if (opts.htpasswd !== undefined) await writeFile(htpasswd, (await Promise.all(Object.entries(opts.htpasswd).map(async ([u, p]) => `${u}:${await bcrypt(p)}\n`))).join(''))
  const creds = Object.entries(opts.htpasswd ?? opts.users ?? {})[0]
  const certs = opts.tls === true ? await makeCerts(dir, opts.clientCerts === true) : undefined
  const ca = certs === undefined ? undefined : new Agent({ connect: { ca: await readFile(certs.caFile, 'utf8'), ...certs.client !== undefined ? { cert: await readFile(certs.client.certFile), key: await readFile(certs.client.keyFile) } : {} } })
  /** Serves the storage dir on `host` (over TLS with `tls`), and waits for it to answer. */
  const serve = async (host: string, name: string, tls?: TestCerts): Promise<void> => {
    const config = [
      'version: 0.1',
      'log:', '  level: error',
      'storage:', `  filesystem:`, `    rootdirectory: ${storage}`, '  maintenance:', '    uploadpurging:', '      enabled: false',
      'http:', `  addr: "${host}"`,
      ...tls === undefined ? [] : ['  tls:', `    certificate: ${tls.certFile}`, `    key: ${tls.keyFile}`, ...tls.client !== undefined ? ['    clientcas:', `      - ${tls.caFile}`] : []],
      ...tokens === undefined ? [] : ['auth:', '  token:', `    realm: ${tokens.realm}`, `    service: ${tokens.service}`, `    issuer: ${tokens.issuer}`, `    rootcertbundle: ${tokens.certFile}`],
      ...opts.htpasswd === undefined ? [] : ['auth:', '  htpasswd:', '    realm: berth-test', `    path: ${htpasswd}`]
    ].join('\n')
    await writeFile(join(dir, name), config + '\n')
    const proc = execa(REGISTRY_BIN, ['serve', join(dir, name)], { reject: false, env: { HOME: dir, PATH: '/usr/bin:/bin' }, extendEnv: false, stdin: 'ignore', stdout: 'ignore' })
    procs.push(proc)
    await until(async () => {
      if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${String((await proc).stderr)}`)
      try {
        const r = await request(`${tls === undefined ? 'http' : 'https'}://${host}/v2/`, tls === undefined ? {} : { dispatcher: ca })
        await r.body.dump()
        return r.statusCode === (tokens === undefined && opts.htpasswd === undefined ? 200 : 401)
      } catch { return false }
    }, 15_000, 'the registry to answer')
  }
  const host = certs === undefined ? `127.0.0.1:${await freePort()}` : `[::1]:${await freePort('::1')}`
  await serve(host, 'config.yml', certs)
  // skopeo's reference parser predates bracketed IPv6: fixtures for the registry on ::1 go through a plain one on the same storage.
  const pushHost = certs === undefined ? host : `127.0.0.1:${await freePort()}`
  if (pushHost !== host) await serve(pushHost, 'push.yml')
  return {
    host,
    tokens,
    certs,
    storage,
    push: async (src, dest, opts = {}) => {
      await execa(SKOPEO, ['--insecure-policy', 'copy', '--quiet', ...opts.all === true ? ['--all'] : [], ...opts.args ?? [], '--dest-tls-verify=false', ...creds !== undefined ? ['--dest-creds', creds.join(':')] : [], src, `docker://${pushHost}/${dest}`],
        { env: { HOME: dir, PATH: '/usr/bin:/bin', REGISTRY_AUTH_FILE: join(dir, 'auth.json') }, extendEnv: false })
    },
    blobFile: digest => join(storage, 'docker', 'registry', 'v2', 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7), 'data')
  }
}

/** One image of an OCI layout: its platform, run config and layers (tar bytes, gzipped here). */
export interface LayoutImage { architecture: string, variant?: string, config?: Record<string, unknown>, layers: Buffer[] }

/** The name writeLayout gives its index: push `oci:<dir>:${LAYOUT_REF}`. */
export const LAYOUT_REF = 'multi'

/**
 * Writes an OCI image layout at `dir` holding `images` under one index, so
 * that `skopeo copy --all oci:<dir>` pushes them as a multi-platform index.
 * Returns each image's config digest (its id), in order.
 */
export async function writeLayout (dir: string, images: LayoutImage[]): Promise<string[]> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true })
  const blob = async (body: Buffer | string): Promise<{ digest: string, size: number }> => {
    const b = Buffer.from(body)
    await writeFile(join(dir, 'blobs', 'sha256', sha(b)), b)
    return { digest: `sha256:${sha(b)}`, size: b.length }
  }
  const ids: string[] = []
  const manifests = []
  for (const img of images) {
    const config = JSON.stringify({
      architecture: img.architecture, ...img.variant !== undefined ? { variant: img.variant } : {}, os: 'linux', created: '2026-01-01T00:00:00Z',
      config: img.config ?? { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: img.layers.map(l => `sha256:${sha(l)}`) },
      history: img.layers.map((_, i) => ({ created: '2026-01-01T00:00:00Z', created_by: `layer ${i}` }))
    })
    const c = await blob(config)
    ids.push(c.digest)
    const layers = []
    for (const l of img.layers) layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...await blob(gzipSync(l)) })
    const m = await blob(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...c }, layers }))
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, platform: { os: 'linux', architecture: img.architecture, ...img.variant !== undefined ? { variant: img.variant } : {} } })
  }
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  const index = await blob(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }))
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...index, annotations: { 'org.opencontainers.image.ref.name': LAYOUT_REF } }] }))
  return ids
}

/**
 * A TCP proxy on 127.0.0.1 in front of a registry that counts, per blob
 * digest, the GETs, their Range headers and the response bytes (headers
 * included) it passes on, and can cut or hold a blob's response after N
 * bytes: a dropped connection, a stalled one, or a registry that ignores
 * Range (`stripRange`), made on purpose.
 */
export interface BlobProxy {
  host: string
  gets: (digest: string) => number
  sent: (digest: string) => number
  /** The Range headers asked for a digest, in order. */
  ranges: (digest: string) => string[]
  /** The next response for `digest` is cut (`cut`: the connection closed) or held (`stall`) after `after` bytes. */
  rule: { digest: string, after: number, mode: 'cut' | 'stall' } | undefined
  /** Range headers are removed before requests go on, so the registry answers 200. */
  stripRange: boolean
  /** Lets held responses go on. */
  release: () => void
  /** Resolves once a response was held. */
  held: () => Promise<void>
}

export async function startProxy (t: Tap, upstream: string): Promise<BlobProxy> {
  const [uhost, uport] = [upstream.slice(0, upstream.lastIndexOf(':')), Number(upstream.slice(upstream.lastIndexOf(':') + 1))]
  const sockets = new Set<Socket>()
  const gets = new Map<string, number>()
  const sent = new Map<string, number>()
  const ranges = new Map<string, string[]>()
  const holds: Array<() => void> = []
  let heldOne: () => void = () => {}
  const heldP = new Promise<void>(resolve => { heldOne = resolve })
  const proxy: BlobProxy = {
    host: '',
    gets: d => gets.get(d) ?? 0,
    sent: d => sent.get(d) ?? 0,
    ranges: d => ranges.get(d) ?? [],
    rule: undefined,
    stripRange: false,
    release: () => { for (const h of holds.splice(0)) h() },
    held: () => heldP
  }
  const server = createServer(client => {
    const up = connect(uport, uhost)
    sockets.add(client); sockets.add(up)
    // A cut ends the client's side after what was let through, so that all of it arrives (destroy would drop what is still buffered here).
    let cutting = false
    client.on('close', () => { sockets.delete(client); up.destroy() })
    up.on('close', () => { sockets.delete(up); if (!cutting) client.destroy() })
    client.on('error', () => {}); up.on('error', () => {})
    // The blob the response now coming back answers (HTTP/1.1 without pipelining: one request at a time).
    let current: string | undefined
    let passed = 0
    let holding = false
    client.on('data', (chunk: Buffer) => {
      let text = chunk.toString('latin1')
      const blob = /^GET \S*\/blobs\/(sha256:[0-9a-f]{64}) HTTP/.exec(text)
      if (/^[A-Z]+ \S+ HTTP\/1\.1\r\n/.test(text)) { current = blob?.[1]; passed = 0 }
      if (blob !== null) {
        const d = blob[1]!
        gets.set(d, (gets.get(d) ?? 0) + 1)
        const range = /\r\nrange: ([^\r]*)/i.exec(text)?.[1]
        if (range !== undefined) ranges.set(d, [...ranges.get(d) ?? [], range])
        if (proxy.stripRange) text = text.replace(/\r\nrange: [^\r]*/i, '')
      }
      up.write(Buffer.from(text, 'latin1'))
    })
    const pending: Buffer[] = []
    up.on('data', (chunk: Buffer) => {
      if (holding) { pending.push(chunk); return }
      const count = (n: number): void => { if (current !== undefined) sent.set(current, (sent.get(current) ?? 0) + n) }
      const rule = proxy.rule
      if (current !== undefined && rule?.digest === current && passed + chunk.length > rule.after) {
        proxy.rule = undefined
        const head = chunk.subarray(0, rule.after - passed)
        count(head.length)
        if (rule.mode === 'cut') { cutting = true; client.end(head); up.destroy(); return }
        client.write(head)
        holding = true
        up.pause()
        pending.push(chunk.subarray(head.length))
        holds.push(() => {
          if (client.destroyed) return
          holding = false
          for (const c of pending.splice(0)) { count(c.length); client.write(c) }
          up.resume()
        })
        heldOne()
        return
      }
      passed += chunk.length
      count(chunk.length)
      client.write(chunk)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => { for (const s of sockets) s.destroy(); server.close(() => resolve()) }))
  proxy.host = `127.0.0.1:${(server.address() as { port: number }).port}`
  return proxy
}
