/**
 * `docker build` (the classic builder's POST /build) through buildah. A build
 * goes in two phases:
 *
 *   prepare: the context tar → a temp dir, the Dockerfile found and read.
 *            Errors here are HTTP errors (nothing has been streamed yet).
 *   run:     base images handed from berth's store to buildah's (pulled
 *            through berth's registry client first when missing), `buildah
 *            bud` run with its output turned into Docker's build stream, and
 *            the result loaded into berth's store and tagged.
 *
 * Buildah keeps its own storage under <root>/build (its build cache lives
 * there); a base image reaches it as a `dir:` layout of hard links to the
 * store's layer tars, so its id (the config digest) is the same on both
 * sides. Nothing of a build outlives it: its temp dir is removed, a failed
 * step's container goes (--force-rm), and the working containers a cancelled
 * build leaves are removed once no build runs.
 */
import { createReadStream } from 'node:fs'
import { copyFile, link, lstat, mkdir, mkdtemp, readFile, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises'
import { join, relative, isAbsolute } from 'node:path'
import { createInterface } from 'node:readline'
import { Transform, type Readable } from 'node:stream'
import type { Logger } from 'pino'
import { BerthError, invalid, withCode } from '../errors.js'
import { extractTar } from '../images/tar.js'
import { parseNamed, parsePullRef, refKey, shortId, splitDomain, familiarKey } from '../images/reference.js'
import type { ImageStore } from '../images/store.js'
import type { AuthConfig } from '../registry/auth.js'
import { resolvePull, runPull, type RegistryHosts } from '../registry/pull.js'
import { treeSize } from '../store/du.js'
import { Buildah, dockerError, dockerLine, type BudOptions, type BuildLimits } from './buildah.js'
import { dockerfileBases, metaArgs, stepCount, syntaxError } from './dockerfile.js'

/** What a client asks of a build (the query of POST /build, checked). */
export interface BuildRequest {
  /** Path of the Dockerfile inside the context. */
  dockerfile: string
  /** Familiar `name:tag`s to tag the result with. */
  tags: string[]
  buildArgs: Record<string, string>
  labels: Record<string, string>
  target?: string
  noCache: boolean
  /** Pull every base image again (through berth) even when the store has it. */
  pull: boolean
  quiet: boolean
  network: 'none' | 'host'
  extraHosts: string[]
  shmSize?: number
  limits: BuildLimits
  /** Registry credentials per domain (X-Registry-Config). */
  auths: Map<string, AuthConfig>
}

/** A context unpacked and its Dockerfile read: what `run` takes. */
export interface Prepared { req: BuildRequest, work: string, context: string, dockerfile: string, text: string }

/** One line of Docker's build stream. */
export type BuildMessage = { stream: string } | { aux: { ID: string } } | { status: string, id?: string, progressDetail?: object }

/** A build's failure after the stream started: Docker's errorDetail line. */
export class BuildFailed extends Error {}

const GRACE_MS = 5000
/** The name a base image referenced by digest is given in buildah's storage (with the image id as its tag). */
const BY_DIGEST = 'localhost/berth-by-digest'

/** Docker's error for a context over the daemon's limit (413). */
const tooLarge = (limit: number): BerthError => withCode('TOO_LARGE', `the build context is larger than the daemon's limit of ${limit} bytes (--build-context-max)`)

/** Counts bytes through; fails the stream past `limit`. */
function capped (limit: number): Transform {
  let n = 0
  return new Transform({
    transform (chunk: Buffer, _enc, cb) {
      n += chunk.length
      cb(n > limit ? tooLarge(limit) : null, chunk)
    }
  })
}

export interface BuilderOptions {
  /** <root>/build: buildah's storage, temp dirs and config. */
  dir: string
  /** <state>/build: buildah's run root. */
  runDir: string
  /** Largest context accepted, bytes. */
  contextMax: number
  hosts: () => RegistryHosts
  buildah?: string
}

/** berth's builder: one buildah storage, any number of builds at once. */
export class Builder {
  readonly buildah: Buildah
  private readonly tmp: string
  private running = 0
  /** A killed build may have left working containers: removed when no build runs. */
  private dirty = false

  constructor (private readonly images: ImageStore, private readonly log: Logger, private readonly opts: BuilderOptions) {
    this.tmp = join(opts.dir, 'tmp')
    this.buildah = new Buildah({ storage: join(opts.dir, 'storage'), runroot: opts.runDir, tmp: this.tmp, etc: join(opts.dir, 'etc') }, opts.buildah)
  }

  /** Makes the dirs and buildah's config, and removes what a daemon that died mid-build left. */
  async init (): Promise<void> {
    await rm(this.tmp, { recursive: true, force: true })
    for (const d of [this.tmp, this.buildah.dirs.etc]) await mkdir(d, { recursive: true, mode: 0o700 })
    // Short names resolve as Docker resolves them (docker.io); buildah only ever looks in its own storage (--pull=never).
    await writeFile(join(this.buildah.dirs.etc, 'registries.conf'), 'unqualified-search-registries = ["docker.io"]\nshort-name-mode = "permissive"\n')
    await writeFile(join(this.buildah.dirs.etc, 'policy.json'), JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }))
    this.dirty = true
  }

  /**
   * Unpacks the context (plain or gzip tar, at most contextMax bytes) and
   * reads the Dockerfile. Throws INVALID_ARGUMENT (not a tar, no Dockerfile,
   * a Dockerfile outside the context) or TOO_LARGE; leaves nothing on failure.
   */
  async prepare (body: Readable, req: BuildRequest): Promise<Prepared> {
    const work = await mkdtemp(join(this.tmp, 'b-'))
    try {
      const context = join(work, 'context')
      await mkdir(context)
      const counted = body.pipe(capped(this.opts.contextMax))
      body.on('error', err => counted.destroy(err))
      await extractTar(counted, context, { completeEnd: true })
      const dockerfile = await this.findDockerfile(context, req.dockerfile)
      const text = await readFile(dockerfile, 'utf8')
      const bad = syntaxError(text)
      if (bad !== undefined) throw invalid(bad)
      return { req, work, context, dockerfile, text }
    } catch (err) {
      await rm(work, { recursive: true, force: true })
      throw err
    }
  }

  /** The Dockerfile's path: inside the context, a regular file; `Dockerfile` falls back to `dockerfile`, as in Docker. */
  private async findDockerfile (context: string, name: string): Promise<string> {
    const candidates = name === 'Dockerfile' || name === '' ? ['Dockerfile', 'dockerfile'] : [name]
    for (const c of candidates) {
      const rel = c.replace(/^\/+/, '')
      const abs = join(context, rel)
      const st = await lstat(abs).catch(() => undefined)
      if (st === undefined) continue
      const real = await realpath(abs).catch(() => abs)
      const r = relative(await realpath(context), real)
      if (r.startsWith('..') || isAbsolute(r)) throw invalid(`The Dockerfile (${name}) must be within the build context`)
      if (!(await stat(real)).isFile()) throw invalid(`Cannot locate specified Dockerfile: ${name}`)
      return real
    }
    throw invalid(`Cannot locate specified Dockerfile: ${name === '' ? 'Dockerfile' : name}`)
  }

  /** Drops a prepared build that will not run (the client went away first). */
  async discard (p: Prepared): Promise<void> {
    await rm(p.work, { recursive: true, force: true })
  }

  /**
   * Runs a prepared build, emitting Docker's build stream; resolves with the
   * image id. Throws BuildFailed (or any error) for the stream's errorDetail
   * line. Aborting `signal` stops buildah (its whole process group).
   */
  async run (p: Prepared, emit: (m: BuildMessage) => void, signal: AbortSignal): Promise<string> {
    this.running++
    let killed = false
    try {
      const { req } = p
      const say = (text: string): void => { if (!req.quiet) emit({ stream: text }) }
      const bases = dockerfileBases(p.text, req.buildArgs).images
      // A base named by digest reaches buildah under a name of berth's: the Dockerfile is rewritten, the stream shows the digest.
      const renamed = new Map<string, string>()
      for (const ref of bases) {
        if (signal.aborted) throw new BuildFailed('the build was cancelled')
        const name = await this.handOver(ref, req, emit)
        if (name !== ref) renamed.set(name, ref)
      }
      const dockerfile = renamed.size === 0 ? p.dockerfile : await this.rewritten(p, renamed)
      const shown = (line: string): string => { for (const [name, ref] of renamed) line = line.replaceAll(name, ref); return line }
      const o: BudOptions = {
        contextDir: p.context, dockerfile, buildArgs: req.buildArgs, labels: req.labels, target: req.target,
        noCache: req.noCache, network: req.network, extraHosts: req.extraHosts, shmSize: req.shmSize, limits: req.limits
      }
      const child = this.buildah.bud(o)
      const stop = (): void => {
        killed = true
        this.signalGroup(child.pid, 'SIGTERM')
        setTimeout(() => this.signalGroup(child.pid, 'SIGKILL'), GRACE_MS).unref()
      }
      if (signal.aborted) stop(); else signal.addEventListener('abort', stop, { once: true })
      let errorLine: string | undefined
      let built: string | undefined
      const steps = { seen: 0, total: stepCount(p.text) }
      // Docker's classic builder numbers the ARGs before the first FROM as its first steps; buildah prints none.
      for (const arg of metaArgs(p.text)) say(`Step ${++steps.seen}/${steps.total} : ${arg}\n`)
      const reading = [
        this.lines(child.stdout!, line => {
          if (/^[0-9a-f]{64}$/.test(line)) built = `sha256:${line}`
          const t = dockerLine(shown(line), steps)
          if (t !== undefined) say(t)
        }),
        this.lines(child.stderr!, line => {
          if (/^Error: /.test(line)) { errorLine = shown(line); return }
          if (/^level=|^time="/.test(line)) { this.log.debug({ line }, 'buildah'); return }
          const t = dockerLine(shown(line), steps)
          if (t !== undefined) say(t)
        })
      ]
      const result = await child
      await Promise.all(reading)
      signal.removeEventListener('abort', stop)
      if (killed) throw new BuildFailed('the build was cancelled')
      if (result.exitCode !== 0) throw new BuildFailed(dockerError(errorLine ?? `buildah exited with status ${String(result.exitCode ?? result.signal)}`, p.context))
      if (built === undefined) throw new BuildFailed('buildah gave no image id')
      const id = built
      await this.takeResult(id, p.work)
      for (const t of req.tags) {
        const n = parseNamed(t)
        await this.images.tag(id, n.name, n.tag)
      }
      emit({ aux: { ID: id } })
      if (req.quiet) emit({ stream: `${id}\n` })
      say(`Successfully built ${shortId(id)}\n`)
      for (const t of req.tags) say(`Successfully tagged ${familiarKey(refKey(parseNamed(t)))}\n`)
      return id
    } finally {
      await rm(p.work, { recursive: true, force: true })
      if (killed) this.dirty = true
      this.running--
      if (this.running === 0 && this.dirty) await this.sweep()
    }
  }

  /** Signals buildah's process group; it may be gone already. */
  private signalGroup (pid: number | undefined, sig: NodeJS.Signals): void {
    if (pid === undefined) return
    try { process.kill(-pid, sig) } catch {}
  }

  private async lines (input: Readable, fn: (line: string) => void): Promise<void> {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) fn(line)
  }

  /**
   * Removes what killed builds left: buildah's working containers, and the
   * temp dirs (`buildah<N>`) it makes under TMPDIR and removes only when it
   * ends well. Only while no build runs: buildah cannot tell whose they are.
   */
  private async sweep (): Promise<void> {
    this.dirty = false
    const r = await this.buildah.removeContainers()
    if (!r.ok) this.log.warn({ stderr: r.stderr }, 'removing buildah working containers failed')
    for (const f of await readdir(this.tmp).catch(() => [])) {
      if (this.running === 0) await rm(join(this.tmp, f), { recursive: true, force: true })
    }
  }

  /**
   * Makes image `ref` available to buildah: from berth's store, pulled into it
   * first (with the build's credentials) when missing or when the build asks
   * to pull. Returns the name buildah knows it by: its full name, or for
   * `name@sha256:…` (buildah matches a digest against the manifest it
   * stored, which is not the registry's) one of berth's, made of the image id.
   */
  private async handOver (ref: string, req: BuildRequest, emit: (m: BuildMessage) => void): Promise<string> {
    let pref
    try { pref = parsePullRef(ref) } catch { return ref } // buildah reports the bad name with its line
    const key = pref.digest !== undefined ? `${pref.name}@${pref.digest}` : `${pref.name}:${pref.tag!}`
    const stored = (): string | undefined => pref.digest !== undefined ? this.images.digested(key) : this.images.tagged(key)
    if (req.pull || stored() === undefined) {
      const pull = await resolvePull(key, undefined, undefined, this.opts.hosts(), req.auths.get(splitDomain(pref.name).domain))
      const status = await runPull(this.images, pull, p => emit(p))
      emit({ status })
    }
    const rec = this.images.resolve(stored() ?? key)
    const name = pref.digest !== undefined ? `${BY_DIGEST}:${rec.id.slice(7)}` : key
    await this.giveBuildah(rec, name, ref)
    return name
  }

  /** Tags image `rec` as `name` in buildah's storage, copying it there first when buildah lacks it. */
  private async giveBuildah (rec: { id: string, diffIds: string[] }, name: string, ref: string): Promise<void> {
    if (await this.buildah.tag(rec.id, name)) return
    const dir = await mkdtemp(join(this.tmp, 'base-'))
    try {
      await this.writeLayout(rec.id, rec.diffIds, dir)
      const r = await this.buildah.pullDir(dir)
      if (!r.ok) throw new BuildFailed(`handing ${ref} to buildah failed: ${r.stderr.trim()}`)
      if (!await this.buildah.tag(rec.id, name)) throw new BuildFailed(`handing ${ref} to buildah failed: it has no image ${rec.id}`)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }

  /** The Dockerfile with each `renamed` base's reference (FROM, COPY --from=) replaced by the name buildah knows it by; written beside the context. */
  private async rewritten (p: Prepared, renamed: ReadonlyMap<string, string>): Promise<string> {
    const lines = p.text.split('\n').map(line => {
      if (!/^\s*(FROM|COPY)\s/i.test(line)) return line
      for (const [name, ref] of renamed) line = line.replaceAll(ref, name)
      return line
    })
    const file = join(p.work, 'Dockerfile.berth')
    await writeFile(file, lines.join('\n'))
    return file
  }

  /** A `dir:` transport layout of a stored image: Docker's v2s2 manifest, the config as stored, the layer tars hard-linked. */
  private async writeLayout (id: string, diffIds: string[], dir: string): Promise<void> {
    const config = await this.images.configBytes(id)
    await writeFile(join(dir, id.slice(7)), config)
    const layers = []
    for (const d of diffIds) {
      // A pulled layer is kept as the registry's gzip blob, any other as its tar: either is handed over as it is.
      const tar = await this.images.layerTar(d)
      const src = tar.blob?.file ?? tar.file!
      const digest = tar.blob?.digest ?? d
      const dst = join(dir, digest.slice(7))
      await link(src, dst).catch(async () => { await copyFile(src, dst) })
      const mediaType = tar.blob !== undefined ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.docker.image.rootfs.diff.tar'
      layers.push({ mediaType, digest, size: (await stat(dst)).size })
    }
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: id, size: config.length },
      layers
    }
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest))
    await writeFile(join(dir, 'version'), 'Directory Transport Version: 1.1\n')
  }

  /** Loads buildah's image `id` into berth's store, unless the store has it (a build served from the cache). */
  private async takeResult (id: string, work: string): Promise<void> {
    try { if (this.images.resolve(id).id === id) return } catch {}
    const file = join(work, 'image.tar')
    const r = await this.buildah.pushArchive(id, file)
    if (!r.ok) throw new BuildFailed(`exporting the built image failed: ${r.stderr.trim()}`)
    const loaded = await this.images.load(createReadStream(file))
    if (loaded[0]?.id !== id) throw new BuildFailed(`the built image ${id} was loaded as ${loaded[0]?.id ?? 'nothing'}`)
  }

  /**
   * `docker builder prune`: removes buildah's images (the build cache and the
   * base images handed over) and working containers. Refused while a build runs.
   */
  async prune (): Promise<{ deleted: string[], reclaimed: number }> {
    if (this.running > 0) throw withCode('CONFLICT', 'a build is running: prune the build cache when it is done')
    const before = await treeSize(this.buildah.dirs.storage).catch(() => 0)
    await this.sweep()
    const deleted = await this.buildah.removeImages()
    const after = await treeSize(this.buildah.dirs.storage).catch(() => 0)
    return { deleted, reclaimed: Math.max(0, before - after) }
  }
}
