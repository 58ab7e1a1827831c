/**
 * The one wrapper over the `buildah` CLI (Debian's buildah 1.28). Every call
 * runs with berth's own containers-storage (`<root>/build/storage`, overlay
 * driver; run state under `<state>/build`), berth's registries.conf and
 * signature policy, and its temp files under berth's build dir: buildah never
 * touches the host's /var/lib/containers. Argv is built by pure functions;
 * buildah's output lines are turned into Docker's build stream by `dockerLine`.
 */
import { execa, type ResultPromise } from 'execa'
import { join } from 'node:path'

/** Where buildah keeps what it keeps. */
export interface BuildahDirs {
  /** containers-storage's graph root: images, layers, the build cache. */
  storage: string
  /** containers-storage's run root: locks and mount bookkeeping. */
  runroot: string
  /** TMPDIR of every buildah child. */
  tmp: string
  /** berth's registries.conf and policy.json. */
  etc: string
}

/** A build as buildah is asked for it. */
export interface BudOptions {
  contextDir: string
  /** Absolute path of the Dockerfile (inside contextDir). */
  dockerfile: string
  buildArgs: Readonly<Record<string, string>>
  labels: Readonly<Record<string, string>>
  target?: string
  noCache: boolean
  /** 'none' runs RUN steps in an empty network namespace; 'host' shares the host's (Docker's default bridge has outbound access too). */
  network: 'none' | 'host'
  extraHosts: string[]
  /** Bytes of /dev/shm in RUN steps. */
  shmSize?: number
  /** RUN steps' resources: a build with any of them (or shmSize) runs its RUN steps under the OCI runtime, which applies them. */
  limits: BuildLimits
}

/** The resources Docker's build query can set and buildah can apply: bytes, shares, microseconds, CPU and node lists. */
export interface BuildLimits { memory?: number, memorySwap?: number, cpuShares?: number, cpuPeriod?: number, cpuQuota?: number, cpusetCpus?: string, cpusetMems?: string }

/** buildah's flag for each limit; memory sizes in bytes. */
const LIMIT_FLAGS: Record<keyof BuildLimits, [string, (v: number | string) => string]> = {
  memory: ['--memory', v => `${v}b`],
  // Docker's -1 (unlimited swap) is buildah's too.
  memorySwap: ['--memory-swap', v => Number(v) < 0 ? '-1' : `${v}b`],
  cpuShares: ['--cpu-shares', String],
  cpuPeriod: ['--cpu-period', String],
  cpuQuota: ['--cpu-quota', String],
  cpusetCpus: ['--cpuset-cpus', String],
  cpusetMems: ['--cpuset-mems', String]
}

/** True when `v` sets a limit: Docker's zero (and empty) means "not set". */
const isSet = (v: number | string | undefined): v is number | string => v !== undefined && v !== 0 && v !== ''

/**
 * buildah's isolation for RUN steps: chroot (the fastest) unless the build
 * needs what only the OCI runtime gives: a network namespace of its own, or
 * resource limits (chroot isolation silently ignores them). Pure.
 */
export function isolation (o: Pick<BudOptions, 'network' | 'shmSize' | 'limits'>): 'oci' | 'chroot' {
  const limited = isSet(o.shmSize) || Object.values(o.limits).some(isSet)
  return o.network === 'none' || limited ? 'oci' : 'chroot'
}

/** The argv of `buildah bud` for `o`, after the global flags. Pure. */
export function budArgs (o: BudOptions, etc: string): string[] {
  const a = [
    'bud',
    // One image per step: the cache, and one layer per filesystem-changing step, as Docker's classic builder.
    '--layers',
    // Base images come from berth's store (the builder puts them there): buildah never reaches a registry.
    '--pull=never',
    // HEALTHCHECK, ONBUILD, SHELL and STOPSIGNAL survive only in Docker's format.
    '--format', 'docker',
    // A failed step's container goes too: nothing of a build is left (Docker keeps it unless --force-rm).
    '--rm', '--force-rm',
    // Docker adds no label of its own.
    '--identity-label=false',
    // chroot isolation is about twice as fast as the OCI runtime but makes no network namespace, no cgroup and no /dev/shm of its own.
    '--isolation', isolation(o),
    '--signature-policy', join(etc, 'policy.json'),
    '-f', o.dockerfile
  ]
  if (isolation(o) === 'oci') a.push('--network', o.network)
  if (o.noCache) a.push('--no-cache')
  if (o.target !== undefined && o.target !== '') a.push('--target', o.target)
  for (const [k, v] of Object.entries(o.buildArgs)) a.push('--build-arg', `${k}=${v}`)
  for (const [k, v] of Object.entries(o.labels)) a.push('--label', `${k}=${v}`)
  for (const h of o.extraHosts) a.push('--add-host', h)
  // Plain bytes: buildah hands the value to tmpfs's size= as it is, and tmpfs refuses a `b` suffix.
  if (o.shmSize !== undefined && o.shmSize > 0) a.push('--shm-size', String(o.shmSize))
  for (const [k, [flag, value]] of Object.entries(LIMIT_FLAGS)) {
    const v = o.limits[k as keyof BuildLimits]
    if (isSet(v)) a.push(flag, value(v))
  }
  a.push(o.contextDir)
  return a
}

/** buildah's own bookkeeping lines, which Docker's stream has no counterpart for. */
const DROPPED = [
  /^COMMIT(\s.*)?$/,
  /^Successfully tagged /,
  // The image id, last: read by the builder (--iidfile would also silence every step's `--> <id>`).
  /^[0-9a-f]{64}$/,
  /^Getting image source signatures$/,
  /^Copying (blob|config) /,
  /^Writing manifest to image destination$/,
  /^Storing signatures$/,
  /^subprocess exited with status \d+$/
]

/** Docker numbers the steps over the whole Dockerfile; buildah numbers them per stage (`[2/3] STEP 1/4: ...`). */
export interface StepCounter { seen: number, total: number }

/**
 * The text of Docker's build stream for one line of buildah's output, or
 * undefined for a line Docker would not show. Pure.
 */
export function dockerLine (line: string, steps?: StepCounter): string | undefined {
  const step = /^(?:\[\d+\/\d+\] )?STEP (\d+)\/(\d+): (.*)$/s.exec(line)
  if (step !== null && steps === undefined) return `Step ${step[1]!}/${step[2]!} : ${step[3]!}\n`
  if (step !== null) return `Step ${++steps!.seen}/${steps!.total} : ${step[3]!}\n`
  const cached = /^--> Using cache ([0-9a-f]+)$/.exec(line)
  // buildah follows it with `--> <short id>`, Docker's ` ---> <id>`.
  if (cached !== null) return ' ---> Using cache\n'
  const done = /^--> ([0-9a-f]+)$/.exec(line)
  if (done !== null) return ` ---> ${done[1]!.slice(0, 12)}\n`
  if (DROPPED.some(r => r.test(line))) return undefined
  return `${line}\n`
}

/**
 * Docker's message for buildah's error line: a failed RUN is Docker's "The
 * command '/bin/sh -c false' returned a non-zero code: 1". Pure.
 */
export function dockerError (line: string, contextDir = ''): string {
  let msg = line.replace(/^Error:\s*/, '').replace(/^error building at STEP/, 'building at STEP')
  if (contextDir !== '') msg = msg.replaceAll(contextDir, '.')
  const escape = /^building at STEP "(?:COPY|ADD) (?:--\S+ )*(\S+).*possible escaping context directory/s.exec(msg)
  if (escape !== null) return `COPY failed: forbidden path outside the build context: ${escape[1]!}`
  // buildah appends a Go struct dump to a few errors.
  msg = msg.replace(/ &imagebuilder\.Step\{.*$/s, '')
  const run = /^building at STEP "RUN (.*)": (?:.*: )?exit status (\d+)$/s.exec(msg)
  if (run === null) return msg
  const cmd = run[1]!.trim()
  let shown = `/bin/sh -c ${cmd}`
  if (cmd.startsWith('[')) {
    try { const argv: unknown = JSON.parse(cmd); if (Array.isArray(argv)) shown = argv.join(' ') } catch {}
  }
  return `The command '${shown}' returned a non-zero code: ${run[2]!}`
}

/** The result of a short buildah call. */
export interface BuildahResult { ok: boolean, stdout: string, stderr: string }

/** berth's buildah: one storage, driven only through this class. */
export class Buildah {
  constructor (readonly dirs: BuildahDirs, readonly bin = 'buildah') {}

  private get global (): string[] {
    return ['--root', this.dirs.storage, '--runroot', this.dirs.runroot, '--storage-driver', 'overlay']
  }

  private get env (): Record<string, string> {
    return { TMPDIR: this.dirs.tmp, CONTAINERS_REGISTRIES_CONF: join(this.dirs.etc, 'registries.conf') }
  }

  /** Runs a short command (anything but bud) to its end. */
  async run (args: string[], timeout = 300_000): Promise<BuildahResult> {
    const r = await execa(this.bin, [...this.global, ...args], { reject: false, timeout, env: this.env, stdin: 'ignore' })
    return { ok: r.exitCode === 0, stdout: String(r.stdout), stderr: String(r.stderr) }
  }

  /**
   * Starts `buildah bud` as the leader of its own process group, so that a
   * cancel can signal it and everything it started (RUN steps under chroot).
   */
  bud (o: BudOptions): ResultPromise<{ detached: true, buffer: false, reject: false, stdin: 'ignore' }> {
    return execa(this.bin, [...this.global, ...budArgs(o, this.dirs.etc)], {
      detached: true, buffer: false, reject: false, stdin: 'ignore', env: this.env, cwd: o.contextDir
    } as const)
  }

  /** Copies an image from a `dir:` layout into buildah's storage. */
  async pullDir (dir: string): Promise<BuildahResult> {
    return await this.run(['pull', '-q', '--signature-policy', join(this.dirs.etc, 'policy.json'), `dir:${dir}`])
  }

  /** Points `name` at image `id`; false when buildah has no such image. */
  async tag (id: string, name: string): Promise<boolean> {
    return (await this.run(['tag', id, name], 60_000)).ok
  }

  /** Writes image `id` as a docker-archive (uncompressed layers, the config as it is, so the id stays). */
  async pushArchive (id: string, file: string): Promise<BuildahResult> {
    return await this.run(['push', '-q', '--signature-policy', join(this.dirs.etc, 'policy.json'), id, `docker-archive:${file}`])
  }

  /** Removes every working container (and its mount): what a killed build leaves. */
  async removeContainers (): Promise<BuildahResult> {
    return await this.run(['rm', '--all'], 120_000)
  }

  /** Removes every image: the build cache and the base images handed over. Returns the removed ids. */
  async removeImages (): Promise<string[]> {
    const r = await this.run(['rmi', '--all', '--force'], 300_000)
    return r.stdout.split('\n').map(s => s.trim()).filter(s => /^[0-9a-f]{64}$/.test(s))
  }
}
