/**
 * Test helpers: a real berthd on a temporary socket, real conmon and runtimes,
 * bundles over the busybox rootfs that scripts/make-rootfs.sh builds. Every
 * daemon a test starts is torn down with its containers, and the teardown
 * fails the test if a monitor, runtime state or mount it made is left.
 */
import { execa, type ResultPromise } from 'execa'
import { createHash } from 'node:crypto'
import { chmod, mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { connect, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import tar from 'tar-stream'
import type { Test } from 'tap'
import { Pool, type Dispatcher } from 'undici'
import { contractProblem, statusProblem } from './contract.js'
import { isAlive } from '../src/proc.js'
import { NODE_FLAGS } from '../src/launch.js'

type Tap = { teardown: (fn: () => unknown) => void, fail: (msg: string) => void }

/** The repository's root (tests run from dist/test). */
export const REPO = fileURLToPath(new URL('../../', import.meta.url))
export const ROOTFS = join(REPO, 'test', '.rootfs')
export const BERTHD = join(REPO, 'dist', 'src', 'main.js')

/**
 * The command that starts a test's berthd with `args`. tap's NODE_OPTIONS
 * loads its processinfo hook, which follows every child of berthd, also the
 * archive helper into its chroot, and writes `.tap/` files there: into the
 * test rootfs that bundle containers share. The hook puts NODE_OPTIONS back
 * into any env given to spawn, so `env -u` takes it out after the spawn.
 */
export const berthdCommand = (args: string[]): [string, string[]] => ['env', ['-u', 'NODE_OPTIONS', process.execPath, ...NODE_FLAGS, BERTHD, ...args]]

export interface Response { status: number, headers: Record<string, string | string[] | undefined>, body: any, raw: Buffer }

/** A berthd started for one test. */
export interface Daemon {
  dir: string
  socket: string
  state: string
  root: string
  pid: number
  proc: ResultPromise
  client: Pool
  /** Sends a request (a string or Buffer body as is, anything else as JSON); JSON bodies are parsed, others left in `raw`. */
  req: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Response>
  /** Sends a request and resolves once its status and headers arrive; `body` settles when the response ends. */
  open: (method: string, path: string) => Promise<{ status: number, headers: Record<string, string | string[] | undefined>, body: Promise<Response> }>
  /** SIGTERM and wait for exit; containers keep running. */
  stop: (signal?: NodeJS.Signals) => Promise<void>
  /** Starts berthd again on the same dirs and socket. */
  restart: () => Promise<Daemon>
  stderr: () => string
}

/** Starts berthd with its own socket, root and state dirs; torn down with `t`. */
export async function startDaemon (t: Tap, extraArgs: string[] = []): Promise<Daemon> {
  const dir = await mkdtemp(join(tmpdir(), 'bt-'))
  // Teardown cleans up after whichever daemon on these dirs ran last.
  let current: Daemon
  const track = (d: Daemon): Daemon => {
    const launchAgain = d.restart
    d.restart = async () => track(await launchAgain())
    current = d
    return d
  }
  const d = track(await launch(dir, extraArgs))
  t.teardown(async () => {
    await cleanupDaemon(current, t)
  })
  return d
}

async function launch (dir: string, extraArgs: string[]): Promise<Daemon> {
  // A remapped berthd needs the path to its root searchable by the remapped root, as dockerd does (mkdtemp makes 0700).
  if (extraArgs.includes('--userns-remap')) await chmod(dir, 0o711)
  const socket = join(dir, 's.sock')
  const state = join(dir, 'st')
  const root = join(dir, 'root')
  let err = ''
  // Each daemon's default bridge gets a subnet of its own: daemons of test files running at once must not share one.
  const proc = execa(...berthdCommand(['--socket', socket, '--root', root, '--state', state, '--log-level', 'debug', '--bridge-subnet', subnetFor(dir, 200), ...extraArgs]), {
    reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', buffer: false
  })
  proc.stderr?.on('data', (c: Buffer) => { err += c.toString() })
  // A pool: long requests (wait, follow) must not hold up the others.
  const client = new Pool('http://localhost', { socketPath: socket, bodyTimeout: 0, headersTimeout: 0 })
  const d: Daemon = {
    dir, socket, state, root, pid: proc.pid!, proc, client,
    req: async (method, path, body, headers = {}) => {
      const hasBody = body !== undefined
      const raw = typeof body === 'string' || Buffer.isBuffer(body)
      const r = await client.request({
        method: method as 'GET', path,
        headers: hasBody && !raw ? { 'content-type': 'application/json', ...headers } : headers,
        body: hasBody ? (raw ? body : JSON.stringify(body)) : undefined
      })
      return await readResponse(method, path, r)
    },
    open: async (method, path) => {
      const r = await client.request({ method: method as 'GET', path })
      return { status: r.statusCode, headers: r.headers, body: readResponse(method, path, r) }
    },
    stop: async (signal = 'SIGTERM') => {
      process.kill(proc.pid!, signal)
      await proc
      await client.close().catch(() => {})
    },
    restart: async () => launch(dir, extraArgs),
    stderr: () => err
  }
  for (let i = 0; ; i++) {
    const exited = proc.exitCode !== null
    if (exited) throw new Error(`berthd exited at start:\n${err}`)
    try {
      const r = await d.req('GET', '/_ping')
      if (r.status === 200) break
    } catch {}
    if (i > 200) throw new Error(`berthd did not answer within 20 s:\n${err}`)
    await sleep(100)
  }
  return d
}

/** Reads a response and holds it to the OpenAPI document: a response it does not describe throws. */
async function readResponse (method: string, path: string, r: Dispatcher.ResponseData): Promise<Response> {
  const raw = Buffer.from(await r.body.arrayBuffer())
  const problem = contractProblem(method, path, r.statusCode, r.headers['content-type'] as string | undefined, raw)
  if (problem !== undefined) throw new Error(`response breaks the contract: ${problem}`)
  const ct = String(r.headers['content-type'] ?? '')
  let parsed: unknown = raw
  if (ct.startsWith('application/json') && raw.length > 0) parsed = JSON.parse(raw.toString())
  return { status: r.statusCode, headers: r.headers, body: parsed, raw }
}

/** Live pids (not zombies, not us) whose command line mentions `needle` (a temp dir): our monitors and runtimes. */
export function processesMentioning (needle: string): number[] {
  const out: number[] = []
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue
    if (cmdOf(Number(p)).includes(needle) && isAlive(Number(p))) out.push(Number(p))
  }
  return out
}

/** A process's command line with spaces for NULs ('' if it is gone). */
export const cmdOf = (pid: number): string => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() } catch { return '' } }

/** A /24 in 10.<from..from+49>.x.0 picked from `seed`: a test's own subnet, which nothing else on the host uses. */
export function subnetFor (seed: string, from = 150): string {
  const h = createHash('sha256').update(seed).digest()
  return `10.${from + (h[0]! % 50)}.${h[1]!}.0/24`
}

/** The bridges (br-<id12>) and subnets of a daemon's networks, as stored. */
async function networksOf (d: Daemon): Promise<Array<{ iface: string, subnet: string }>> {
  const dir = join(d.root, 'networks')
  const files = await readdir(dir).catch(() => [] as string[])
  return await Promise.all(files.filter(f => f.endsWith('.json')).map(async f => {
    const n = JSON.parse(await readFile(join(dir, f), 'utf8')) as { iface: string, IPAM: { Config: Array<{ Subnet: string }> } }
    return { iface: n.iface, subnet: n.IPAM.Config[0]!.Subnet }
  }))
}

async function cleanupDaemon (d: Daemon, t: Tap): Promise<void> {
  const problems: string[] = []
  // Read before the user networks are removed: their bridges and rules must be gone too.
  const networks = await networksOf(d)
  if (d.proc.exitCode === null) {
    try {
      const list = await d.req('GET', '/containers/json?all=1')
      await Promise.all((list.body as Array<{ Id: string }>).map(c => d.req('DELETE', `/containers/${c.Id}?force=1`)))
      const nets = await d.req('GET', '/networks?filters=%7B%22type%22%3A%5B%22custom%22%5D%7D')
      for (const n of nets.body as Array<{ Id: string, Name: string }>) if (n.Name !== 'bridge') await d.req('DELETE', `/networks/${n.Id}`)
    } catch (err) {
      problems.push(`could not remove containers or networks: ${(err as Error).message}`)
    }
    await d.stop().catch(() => {})
  }
  // Networking: no attachment (lease) left, no bridge, no firewall rule naming a subnet of the daemon's.
  const leases = (await readdir(join(d.state, 'networks', 'attach')).catch(() => [] as string[])).filter(f => !f.startsWith('.'))
  if (leases.length > 0) problems.push(`network attachments left: ${leases.join(', ')}`)
  const links = (await execa('ip', ['-o', 'link', 'show'], { reject: false })).stdout
  for (const n of networks) {
    if (links.includes(`${n.iface}:`)) {
      problems.push(`bridge left: ${n.iface}`)
      await execa('ip', ['link', 'delete', n.iface], { reject: false })
    }
  }
  for (const table of ['nat', 'filter']) {
    const rules = (await execa('iptables', ['-t', table, '-S'], { reject: false })).stdout.split('\n')
    for (const rule of rules.filter(r => r.startsWith('-A ') && networks.some(n => r.includes(n.subnet)))) {
      problems.push(`firewall rule left (${table}): ${rule}`)
      await execa('iptables', ['-t', table, ...rule.replace(/^-A /, '-D ').split(' ')], { reject: false })
    }
  }
  // Give exiting monitors a moment, then check that nothing we made is left.
  let left: number[] = []
  for (let i = 0; i < 40; i++) {
    left = processesMentioning(d.dir)
    if (left.length === 0) break
    await sleep(100)
  }
  if (left.length > 0) {
    problems.push(`processes left behind: ${left.map(p => `${p} ${cmdOf(p)}`).join('; ')}`)
    for (const pid of left) { try { process.kill(pid, 'SIGKILL') } catch {} }
  }
  for (const rt of ['runc', 'crun']) {
    const ids = await readdir(join(d.state, 'rt', rt)).catch(() => [])
    if (ids.length > 0) {
      problems.push(`${rt} state left: ${ids.join(', ')}`)
      for (const id of ids) await execa(rt, ['--root', join(d.state, 'rt', rt), 'delete', '--force', id], { reject: false })
    }
  }
  const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n').filter(l => l.includes(d.dir))
  if (mounts.length > 0) problems.push(`mounts left: ${mounts.join('; ')}`)
  await rm(d.dir, { recursive: true, force: true })
  for (const p of problems) t.fail(p)
}

let template: Record<string, any> | undefined

/** `runc spec`'s default config, made once per test process. */
async function specTemplate (): Promise<Record<string, any>> {
  if (template === undefined) {
    const dir = await mkdtemp(join(tmpdir(), 'bt-spec-'))
    await execa('runc', ['spec', '--bundle', dir])
    template = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, any>
    await rm(dir, { recursive: true, force: true })
  }
  return structuredClone(template)
}

/** Writes an OCI bundle running `args` over the shared busybox rootfs; returns its dir. */
export async function makeBundle (d: Pick<Daemon, 'dir'>, args: string[], edit?: (spec: Record<string, any>) => void): Promise<string> {
  const spec = await specTemplate()
  spec.process.terminal = false
  spec.process.args = args
  spec.root = { path: ROOTFS, readonly: true }
  edit?.(spec)
  const dir = join(d.dir, 'bundles', Math.random().toString(36).slice(2, 10))
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'config.json'), JSON.stringify(spec))
  return dir
}

/** Creates a container from a fresh bundle; returns its id. */
export async function createContainer (d: Daemon, args: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const bundle = await makeBundle(d, args)
  const r = await d.req('POST', '/containers', { Bundle: bundle, ...extra })
  if (r.status !== 201) throw new Error(`create failed: ${r.status} ${JSON.stringify(r.body)}`)
  return (r.body as { Id: string }).Id
}

/** Creates, starts, and waits; returns the exit code. */
export async function run (d: Daemon, args: string[], extra: Record<string, unknown> = {}): Promise<{ id: string, code: number }> {
  const id = await createContainer(d, args, extra)
  // As `docker run` does: the wait's headers arrive before start is sent.
  const w = await d.open('POST', `/containers/${id}/wait?condition=next-exit`)
  const s = await d.req('POST', `/containers/${id}/start`)
  if (s.status !== 204) throw new Error(`start failed: ${s.status} ${JSON.stringify(s.body)}`)
  return { id, code: ((await w.body).body as { StatusCode: number }).StatusCode }
}

/** Polls until `fn` is true (or throws after `ms` on the monotonic clock: a VM's wall clock can step by seconds). */
export async function until (fn: () => Promise<boolean> | boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = performance.now() + ms
  while (!(await fn())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

/** A port nothing listens on now: the kernel's pick for port 0, released. */
export async function freePort (): Promise<number> {
  const s = createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as { port: number }
  await new Promise(resolve => s.close(resolve))
  return port
}

export const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** A tmpfs of `size` (mount's size=) on a fresh dir, unmounted and removed in teardown: a disk that can be filled. */
export async function mountTmpfs (t: Tap, size: string): Promise<string> {
  const mnt = await mkdtemp(join(tmpdir(), 'bt-fs-'))
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt])
  t.teardown(async () => {
    await execa('umount', ['-l', mnt], { reject: false })
    await rm(mnt, { recursive: true, force: true })
  })
  return mnt
}

/** Fills the filesystem holding `dir` to the last byte with a file named `name` there. */
export const fillDisk = async (dir: string, name = 'filler'): Promise<void> => {
  await execa('sh', ['-c', `dd if=/dev/zero of=${join(dir, name)} bs=4k 2>/dev/null; true`])
}

/** The container's events from `since` (unix seconds) until now, in order: what tests check the order of things by. */
export async function containerEvents (d: Pick<Daemon, 'client'>, id: string, since: string): Promise<Array<{ Action: string, timeNano: number, Actor: { Attributes: Record<string, string> } }>> {
  const filters = JSON.stringify({ container: [id] })
  const r = await d.client.request({ method: 'GET', path: `/events?since=${since}&until=${(Date.now() / 1000).toFixed(3)}&filters=${encodeURIComponent(filters)}` })
  return (await r.body.text()).split('\n').filter(l => l !== '').map(l => JSON.parse(l) as { Action: string, timeNano: number, Actor: { Attributes: Record<string, string> } })
}

/**
 * The docker client the CLI tests drive: $BERTH_TEST_DOCKER when set (a path
 * that does not exist stands for a machine without one), else
 * /usr/local/bin/docker, else `docker` on PATH. scripts/setup.sh installs one.
 */
export const DOCKER: string = process.env.BERTH_TEST_DOCKER ??
  ['/usr/local/bin', ...(process.env.PATH ?? '').split(delimiter)].map(dir => join(dir, 'docker')).find(existsSync) ??
  '/usr/local/bin/docker'

/** The environment that points the docker client at `d`. */
export const dockerEnv = (d: Pick<Daemon, 'socket' | 'dir'>): Record<string, string> =>
  ({ DOCKER_HOST: `unix://${d.socket}`, DOCKER_CONFIG: `${d.dir}/docker-config` })

/**
 * A test group that drives the docker client. Without a client it fails,
 * saying how to get one: a suite that skips is not the suite the README promises.
 */
export function dockerTest (t: Test, name: string, fn: (t: Test) => Promise<void>): Promise<unknown> {
  return t.test(name, async t => {
    if (!existsSync(DOCKER)) {
      t.fail(`no docker client at ${DOCKER}: run scripts/setup.sh as root, which installs one, or set BERTH_TEST_DOCKER to one`)
      return
    }
    await fn(t)
  })
}

/** A request whose connection the daemon took over (attach, exec start). */
export interface Hijacked {
  /** The status line's code: 101 when upgraded, 200 when not, else the error's. */
  status: number
  head: string
  socket: Socket
  /** Every byte after the head, until the daemon closes the stream. */
  output: Promise<Buffer>
}

/**
 * Sends `method path` on a fresh connection, by default as Docker's CLI
 * does (`Connection: Upgrade`, `Upgrade: tcp`), and resolves once the
 * response head is in; the socket is then the raw stream.
 */
export async function hijack (d: Pick<Daemon, 'socket'>, path: string, body?: unknown, upgrade = true, bodyApart = false): Promise<Hijacked> {
  const socket = connect(d.socket)
  socket.on('error', () => {})
  const payload = body === undefined ? '' : JSON.stringify(body)
  socket.write([
    `POST ${path} HTTP/1.1`, 'Host: localhost', `Content-Length: ${Buffer.byteLength(payload)}`,
    `Content-Type: ${body === undefined ? 'text/plain' : 'application/json'}`,
    ...(upgrade ? ['Connection: Upgrade', 'Upgrade: tcp'] : []), '', bodyApart ? '' : payload
  ].join('\r\n'))
  // The docker client writes the body in a packet of its own, after the head.
  if (bodyApart) { await sleep(50); socket.write(payload) }
  const chunks: Buffer[] = []
  let head: string | undefined
  let headSeen: (h: string) => void = () => {}
  const headP = new Promise<string>((resolve, reject) => { headSeen = resolve; socket.once('close', () => reject(new Error(`connection closed before a response head: ${Buffer.concat(chunks).toString()}`))) })
  headP.catch(() => {})
  const output = new Promise<Buffer>(resolve => {
    socket.on('data', (c: Buffer) => {
      chunks.push(c)
      if (head === undefined) {
        const all = Buffer.concat(chunks)
        const end = all.indexOf('\r\n\r\n')
        if (end < 0) return
        head = all.subarray(0, end).toString()
        chunks.length = 0
        if (end + 4 < all.length) chunks.push(all.subarray(end + 4))
        headSeen(head)
      }
    })
    socket.on('close', () => resolve(Buffer.concat(chunks)))
  })
  const h = await headP
  const status = Number(h.split(' ')[1])
  // The body is the test's to read as a stream; the status is held to the document here.
  const problem = statusProblem('POST', path, status)
  if (problem !== undefined) { socket.destroy(); throw new Error(`response breaks the contract: ${problem}`) }
  return { status, head: h, socket, output }
}

/** The runtimes every lifecycle test runs against. */
export const RUNTIMES = ['runc', 'crun'] as const

/** Imports the busybox rootfs as image `name` through the API, with the request `docker import - name` sends. */
export async function importBusybox (d: Pick<Daemon, 'client'>, name = 'bb'): Promise<void> {
  const tar = await execa('tar', ['-C', ROOTFS, '-c', '.'], { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 })
  const r = await d.client.request({
    method: 'POST', path: `/images/create?fromSrc=-&repo=${encodeURIComponent(name)}`, headers: { 'content-type': 'text/plain' }, body: Buffer.from(tar.stdout)
  })
  const text = await r.body.text()
  if (r.statusCode !== 200 || !/sha256:[0-9a-f]{64}/.test(text)) throw new Error(`import of ${name} failed: ${r.statusCode} ${text}`)
}

/** One entry of a test tar: a header (file unless `type` says otherwise) and its body. */
export type TarEntry = Partial<tar.Header> & { name: string, body?: string | Buffer }

/** A tar made of `entries`. */
export async function makeTar (entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack()
  const chunks: Buffer[] = []
  const done = (async () => { for await (const c of pack) chunks.push(c as Buffer) })()
  for (const { body, ...h } of entries) {
    await new Promise<void>((resolve, reject) => pack.entry({ mode: h.type === 'directory' ? 0o755 : 0o644, ...h }, body ?? '', err => err ? reject(err) : resolve()))
  }
  pack.finalize()
  await done
  return Buffer.concat(chunks)
}

/** The busybox rootfs as a tar. */
export async function rootfsTar (): Promise<Buffer> {
  return (await execa('tar', ['-C', ROOTFS, '-cf', '-', '.'], { encoding: 'buffer', stripFinalNewline: false })).stdout as unknown as Buffer
}

export const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex')

/** A docker-save (manifest.json) archive of one image made of `layers`, tagged `repoTag`; `config` is the image's run config. */
export async function saveArchive (layers: Buffer[], repoTag: string, config: Record<string, unknown> = { Cmd: ['sh'] }): Promise<{ archive: Buffer, id: string }> {
  const image = JSON.stringify({ architecture: 'amd64', os: 'linux', created: '2026-01-01T00:00:00Z', config, rootfs: { type: 'layers', diff_ids: layers.map(l => `sha256:${sha(l)}`) }, history: layers.map((_, i) => ({ created: '2026-01-01T00:00:00Z', created_by: `layer ${i}` })) })
  const names = layers.map((_, i) => `l${i}/layer.tar`)
  const archive = await makeTar([
    ...layers.map((l, i) => ({ name: names[i]!, body: l })),
    { name: `${sha(image)}.json`, body: image },
    { name: 'manifest.json', body: JSON.stringify([{ Config: `${sha(image)}.json`, RepoTags: [repoTag], Layers: names }]) }
  ])
  return { archive, id: `sha256:${sha(image)}` }
}
