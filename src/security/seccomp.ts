/**
 * Seccomp: Docker's profile format → the OCI runtime-spec's `linux.seccomp`,
 * filtered for one container the way moby's setupSeccomp does it (moby
 * profiles/seccomp/seccomp_linux.go): the host's architecture and its
 * sub-architectures from `archMap`, and each rule kept only when its
 * `includes` hold and its `excludes` do not (architecture, capabilities in
 * the container's bounding set, minimum kernel version).
 *
 * The default profile is moby's own default.json, from Debian's
 * golang-github-docker-docker-dev (20.10.24): it answers `clone3` with ENOSYS
 * (errno 38), not EPERM, so that glibc ≥ 2.34 falls back to clone for
 * threads (moby#42681). It is read once at berthd start-up.
 */
import { readFileSync } from 'node:fs'
import { arch as nodeArch, endianness, release } from 'node:os'
import { Type, type Static } from 'typebox'
import { Ajv } from 'ajv'
import { ConfigError } from '../config.js'
import { invalid } from '../errors.js'

/** Where Debian's golang-github-docker-docker-dev puts moby's default profile: what `builtin` means. */
export const BUILTIN_PROFILE = '/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json'

const Arch = Type.String({ pattern: '^SCMP_ARCH_[A-Z0-9_]+$' })
const Action = Type.String({ pattern: '^SCMP_ACT_(KILL|KILL_PROCESS|KILL_THREAD|TRAP|ERRNO|TRACE|ALLOW|LOG|NOTIFY)$' })
/** An errno or a ptrace message: 16 bits in the filter's return value. */
const Errno = Type.Integer({ minimum: 0, maximum: 65535 })
const Filter = Type.Object({
  caps: Type.Optional(Type.Array(Type.String())),
  arches: Type.Optional(Type.Array(Type.String())),
  minKernel: Type.Optional(Type.String({ pattern: '^(\\d+\\.\\d+)?$' }))
})
const Arg = Type.Object({
  index: Type.Integer({ minimum: 0, maximum: 5 }),
  // JSON numbers above 2^53 lose bits when parsed here: such a value is refused rather than changed.
  value: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  valueTwo: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  op: Type.String({ pattern: '^SCMP_CMP_(NE|LT|LE|EQ|GE|GT|MASKED_EQ)$' })
})
const Rule = Type.Object({
  name: Type.Optional(Type.String()),
  names: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
  action: Action,
  errnoRet: Type.Optional(Errno),
  args: Type.Optional(Type.Union([Type.Array(Arg), Type.Null()])),
  comment: Type.Optional(Type.String()),
  includes: Type.Optional(Filter),
  excludes: Type.Optional(Filter)
})

/** Docker's seccomp profile (moby profiles/seccomp Seccomp), as a daemon file or `--security-opt seccomp=<JSON>` carries it. */
export const ProfileSchema = Type.Object({
  defaultAction: Type.Optional(Type.Union([Action, Type.Literal('')])),
  defaultErrnoRet: Type.Optional(Errno),
  architectures: Type.Optional(Type.Union([Type.Array(Arch), Type.Null()])),
  archMap: Type.Optional(Type.Union([Type.Array(Type.Object({
    architecture: Arch,
    subArchitectures: Type.Optional(Type.Union([Type.Array(Arch), Type.Null()]))
  })), Type.Null()])),
  flags: Type.Optional(Type.Union([Type.Array(Type.String({ pattern: '^SECCOMP_FILTER_FLAG_[A-Z_]+$' })), Type.Null()])),
  listenerPath: Type.Optional(Type.String()),
  listenerMetadata: Type.Optional(Type.String()),
  syscalls: Type.Optional(Type.Union([Type.Array(Rule), Type.Null()]))
})
export type SeccompProfile = Static<typeof ProfileSchema>

type OciArg = Static<typeof Arg>
/** One rule of the runtime-spec's LinuxSeccomp. */
export interface OciSyscall { names: string[], action: string, errnoRet?: number, args?: OciArg[] }
/** The runtime-spec's `linux.seccomp`. */
export interface OciSeccomp {
  defaultAction: string
  defaultErrnoRet?: number
  architectures?: string[]
  flags?: string[]
  listenerPath?: string
  listenerMetadata?: string
  syscalls?: OciSyscall[]
}

/** What the filter depends on besides the profile and the container. */
export interface HostFacts {
  /** libseccomp's name of the host's architecture, as profiles' `arches` say it: amd64, arm64, ... */
  arch: string
  /** The same architecture as the runtime-spec names it: SCMP_ARCH_X86_64, ... */
  scmpArch: string
  /** The running kernel's version and major revision: 6.18 → [6, 18]. */
  kernel: [number, number]
}

// Node's process.arch → [libseccomp's name, the runtime-spec's]; moby's goToNative and nativeToSeccomp.
const ARCHES: Record<string, [string, string]> = {
  x64: ['amd64', 'SCMP_ARCH_X86_64'],
  ia32: ['x86', 'SCMP_ARCH_X86'],
  arm64: ['arm64', 'SCMP_ARCH_AARCH64'],
  arm: ['arm', 'SCMP_ARCH_ARM'],
  s390x: ['s390x', 'SCMP_ARCH_S390X'],
  ppc64: endianness() === 'LE' ? ['ppc64le', 'SCMP_ARCH_PPC64LE'] : ['ppc64', 'SCMP_ARCH_PPC64'],
  riscv64: ['riscv64', 'SCMP_ARCH_RISCV64']
}

/** "6.18.44-fc" → [6, 18]: the kernel version and major revision, as moby compares them. */
export function kernelVersion (text: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(text)
  if (m === null) throw new Error(`cannot read a kernel version from ${JSON.stringify(text)}`)
  return [Number(m[1]), Number(m[2])]
}

let host: HostFacts | undefined
/** This machine's architecture and kernel. */
export function hostFacts (): HostFacts {
  if (host === undefined) {
    const [arch, scmpArch] = ARCHES[nodeArch()] ?? [nodeArch(), '']
    host = { arch, scmpArch, kernel: kernelVersion(release()) }
  }
  return host
}

const check = new Ajv({ strict: false, allErrors: false }).compile<SeccompProfile>(ProfileSchema)

/**
 * Parses and checks a profile's JSON. Throws an Error whose message says
 * what is wrong, in moby's words where it has them ("Decoding seccomp
 * profile failed: ...").
 */
export function parseProfile (text: string): SeccompProfile {
  let value: unknown
  try { value = JSON.parse(text) } catch (err) { throw new Error(`Decoding seccomp profile failed: ${(err as Error).message}`) }
  if (!check(value)) {
    const e = check.errors?.[0]
    const where = e !== undefined && e.instancePath !== '' ? `${e.instancePath} ` : ''
    throw new Error(`Decoding seccomp profile failed: ${where}${e?.message ?? 'not a profile'}`)
  }
  // The runtime would refuse it at each start: refused here, once.
  if ((value.defaultAction ?? '') === '' && (value.syscalls ?? []).length > 0) throw new Error('Decoding seccomp profile failed: a profile that lists syscalls needs a defaultAction')
  if ((value.architectures ?? []).length > 0 && (value.archMap ?? []).length > 0) {
    throw new Error('\'architectures\' and \'archMap\' were specified in the seccomp profile, use either \'architectures\' or \'archMap\'')
  }
  for (const [i, rule] of (value.syscalls ?? []).entries()) {
    if (rule.name !== undefined && rule.name !== '' && (rule.names ?? []).length > 0) {
      throw new Error(`'name' and 'names' were specified in the seccomp profile (syscalls/${i}), use either 'name' or 'names'`)
    }
    for (const v of [rule.includes?.minKernel, rule.excludes?.minKernel]) {
      if (v !== undefined && v !== '' && kernelVersion(v).every(n => n === 0)) throw new Error(`invalid kernel version: "${v}" (syscalls/${i}): version cannot be 0.0`)
    }
  }
  return value
}

const atLeast = (have: [number, number], want: string): boolean => {
  const [k, m] = kernelVersion(want)
  return have[0] > k || (have[0] === k && have[1] >= m)
}

/** Whether a rule applies: its `includes` all hold and none of its `excludes` does (moby's order and meaning). */
function applies (rule: Static<typeof Rule>, bounding: readonly string[], h: HostFacts): boolean {
  const ex = rule.excludes ?? {}
  if ((ex.arches ?? []).includes(h.arch)) return false
  if ((ex.caps ?? []).some(c => bounding.includes(c))) return false
  if (ex.minKernel !== undefined && ex.minKernel !== '' && atLeast(h.kernel, ex.minKernel)) return false
  const inc = rule.includes ?? {}
  if ((inc.arches ?? []).length > 0 && !inc.arches!.includes(h.arch)) return false
  if (!(inc.caps ?? []).every(c => bounding.includes(c))) return false
  if (inc.minKernel !== undefined && inc.minKernel !== '' && !atLeast(h.kernel, inc.minKernel)) return false
  return true
}

/**
 * The `linux.seccomp` a container with bounding capability set `bounding`
 * gets from `profile` on host `h` (pure); undefined when the profile has
 * neither a default action nor rules (moby: seccomp off).
 */
export function toOciSeccomp (profile: SeccompProfile, bounding: readonly string[], h: HostFacts): OciSeccomp | undefined {
  const rules = profile.syscalls ?? []
  if ((profile.defaultAction ?? '') === '' && rules.length === 0) return undefined
  // With no architectures at all the runtime filters the native one only.
  const mapped = (profile.archMap ?? []).find(a => a.architecture === h.scmpArch)
  const architectures = (profile.architectures ?? []).length > 0
    ? [...profile.architectures!]
    : mapped !== undefined ? [mapped.architecture, ...(mapped.subArchitectures ?? [])] : []
  const syscalls = rules.filter(r => applies(r, bounding, h)).map((r): OciSyscall => ({
    names: r.name !== undefined && r.name !== '' ? [r.name] : [...(r.names ?? [])],
    action: r.action,
    ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
    ...((r.args ?? []).length > 0 ? { args: r.args!.map(a => ({ ...a })) } : {})
  }))
  return {
    defaultAction: profile.defaultAction ?? '',
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    ...(architectures.length > 0 ? { architectures } : {}),
    ...((profile.flags ?? []).length > 0 ? { flags: [...profile.flags!] } : {}),
    ...(profile.listenerPath !== undefined && profile.listenerPath !== '' ? { listenerPath: profile.listenerPath } : {}),
    ...(profile.listenerMetadata !== undefined && profile.listenerMetadata !== '' ? { listenerMetadata: profile.listenerMetadata } : {}),
    ...(syscalls.length > 0 ? { syscalls } : {})
  }
}

/**
 * The daemon's seccomp setting, read at start-up: `builtin` (moby's default
 * profile), `unconfined` (no filter), or the path of a profile that replaces
 * the default (moby's --seccomp-profile).
 */
export interface DaemonSeccomp {
  /** As /info shows it: builtin, unconfined or the path. */
  readonly setting: string
  /** The profile every Docker-style container gets unless it asks otherwise; none when unconfined. */
  readonly profile?: SeccompProfile
  /** Moby's default profile, for `--security-opt seccomp=builtin`; none when it is not installed. */
  readonly builtin?: SeccompProfile
}

const INSTALL_HINT = 'install it with: apt-get install -y golang-github-docker-docker-dev, or pass --seccomp-profile PATH (or unconfined)'

function readProfile (path: string, what: string, hint = ''): SeccompProfile {
  let text: string
  try { text = readFileSync(path, 'utf8') } catch (err) {
    throw new ConfigError(`${what} ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})${hint}`)
  }
  try { return parseProfile(text) } catch (err) { throw new ConfigError(`${what} ${path}: ${(err as Error).message}`) }
}

/** Reads the daemon's profiles for `setting` (builtin, unconfined or an absolute path: config.ts checked it); throws ConfigError. */
export function loadDaemonSeccomp (setting: string, builtinPath = BUILTIN_PROFILE): DaemonSeccomp {
  const builtin = setting === 'builtin' ? readProfile(builtinPath, 'Docker\'s default seccomp profile', `; ${INSTALL_HINT}`) : optional(() => readProfile(builtinPath, ''))
  const profile = setting === 'builtin' ? builtin : setting === 'unconfined' ? undefined : readProfile(setting, 'seccomp profile')
  return Object.freeze({ setting, ...(profile !== undefined ? { profile } : {}), ...(builtin !== undefined ? { builtin } : {}) })
}

const optional = <T>(fn: () => T): T | undefined => { try { return fn() } catch { return undefined } }

/** What a container's `SecurityOpt` asked of seccomp: nothing (the daemon's profile), unconfined, builtin, or a profile of its own. */
export type SeccompAsked = undefined | 'unconfined' | 'builtin' | SeccompProfile

/**
 * The filter a Docker-style container gets (moby WithSeccomp): none when it
 * asked for `unconfined` or is privileged; else its own profile, the builtin
 * one, or the daemon's (none when the daemon is unconfined), filtered for
 * its bounding set on this host.
 */
export function containerSeccomp (asked: SeccompAsked, daemon: DaemonSeccomp | undefined, privileged: boolean, bounding: readonly string[], h: HostFacts = hostFacts()): OciSeccomp | undefined {
  if (asked === 'unconfined' || privileged) return undefined
  if (asked === 'builtin' && daemon?.builtin === undefined) throw invalid(`seccomp=builtin: Docker's default seccomp profile is not installed at ${BUILTIN_PROFILE}`)
  const profile = asked === 'builtin' ? daemon?.builtin : asked ?? daemon?.profile
  return profile === undefined ? undefined : toOciSeccomp(profile, bounding, h)
}
