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
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { sha, until } from './helpers.js'

export const REGISTRY_BIN = '/usr/bin/docker-registry'
export const SKOPEO = '/usr/bin/skopeo'
/** Why registry tests cannot run here, or false. */
export const noRegistry: string | false = existsSync(REGISTRY_BIN) && existsSync(SKOPEO) ? false : 'docker-registry and skopeo are not installed (scripts/setup.sh installs them)'

type Tap = { teardown: (fn: () => unknown) => void }

/** A registry started for one test. */
export interface TestRegistry {
  /** `127.0.0.1:<port>`: the domain image names start with. */
  host: string
  /** Its storage dir (docker/registry/v2/... under it). */
  storage: string
  /** Copies `src` (a skopeo source such as docker-archive:/x.tar or oci:/dir) to `repo:tag` on the registry. */
  push: (src: string, dest: string, opts?: { all?: boolean }) => Promise<void>
  /** The path of a blob's data in the storage dir. */
  blobFile: (digest: string) => string
}

async function freePort (): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(0, '127.0.0.1', resolve) })
  const port = (srv.address() as { port: number }).port
  await new Promise<void>(resolve => srv.close(() => resolve()))
  return port
}

/** Starts a registry; it is stopped by pid and its dir removed at `t`'s teardown. */
export async function startRegistry (t: Tap): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-registry-'))
  const running: { proc?: ResultPromise } = {}
  t.teardown(async () => {
    const proc = running.proc
    if (proc?.pid !== undefined && proc.exitCode === null) { proc.kill('SIGTERM'); await proc }
    await rm(dir, { recursive: true, force: true })
  })
  const storage = join(dir, 'storage')
  await mkdir(storage)
  const port = await freePort()
  const host = `127.0.0.1:${port}`
  const config = [
    'version: 0.1',
    'log:', '  level: error',
    'storage:', `  filesystem:`, `    rootdirectory: ${storage}`, '  maintenance:', '    uploadpurging:', '      enabled: false',
    'http:', `  addr: ${host}`
  ].join('\n')
  await writeFile(join(dir, 'config.yml'), config + '\n')
  const proc = running.proc = execa(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { reject: false, env: { HOME: dir, PATH: '/usr/bin:/bin' }, extendEnv: false, stdin: 'ignore', stdout: 'ignore' })
  await until(async () => {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${String((await proc).stderr)}`)
    try { const r = await request(`http://${host}/v2/`); await r.body.dump(); return r.statusCode === 200 } catch { return false }
  }, 15_000, 'the registry to answer')
  return {
    host,
    storage,
    push: async (src, dest, opts = {}) => {
      await execa(SKOPEO, ['--insecure-policy', 'copy', '--quiet', ...opts.all === true ? ['--all'] : [], '--dest-tls-verify=false', src, `docker://${host}/${dest}`],
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
