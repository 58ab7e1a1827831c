/**
 * berthd's configuration: one TypeBox schema, read from flags first and then
 * from BERTH_* environment variables, validated once and frozen. Nothing else
 * in berth reads process.env.
 */
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, isAbsolute, join, basename } from 'node:path'
import { parseArgs } from 'node:util'
import { Type, type Static } from 'typebox'
import { Ajv } from 'ajv'
import { checkInsecure, normalizeMirror } from './registry/hosts.js'
import { rootlessDefaults, RootlessError } from './rootless.js'

export const ConfigSchema = Type.Object({
  socket: Type.String({ default: '/run/berth/berth.sock' }),
  root: Type.String({ default: '/var/lib/berth' }),
  state: Type.String({ default: '/run/berth' }),
  runtime: Type.String({ default: 'runc', description: 'default runtime: a name (runc, crun, or one from --add-runtime) or an absolute path' }),
  addRuntime: Type.Array(Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*=/.+$' }), { default: [] }),
  runtimeArgs: Type.Array(Type.String(), { default: [] }),
  conmon: Type.String({ default: 'conmon' }),
  logLevel: Type.Union([Type.Literal('trace'), Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error'), Type.Literal('fatal'), Type.Literal('silent')], { default: 'info' }),
  createTimeout: Type.Number({ minimum: 1, maximum: 3600, default: 60 }),
  logSizeMax: Type.Integer({ minimum: 4096, default: 100 * 1024 * 1024, description: 'bytes of container log kept per container' }),
  init: Type.String({ default: '/usr/bin/tini-static', description: 'a static init binary, bind-mounted as /sbin/docker-init for HostConfig.Init' }),
  registryMirrors: Type.Array(Type.String(), { default: [], description: 'docker.io mirrors, tried before registry-1.docker.io' }),
  insecureRegistries: Type.Array(Type.String(), { default: [], description: 'registries (HOST[:PORT] or CIDR) reached with unverified TLS or plain HTTP; 127.0.0.0/8 always is' }),
  seccompProfile: Type.String({ default: 'builtin', description: 'builtin (Docker\'s default profile), unconfined, or the absolute path of a profile that replaces it' }),
  hosts: Type.Array(Type.String(), { default: [], description: 'where to serve the API, as dockerd\'s -H: unix:///path or tcp://host:port; none means --socket' }),
  group: Type.Optional(Type.String({ minLength: 1, description: 'the group that owns the Unix sockets (mode 0660 either way)' })),
  tlsVerify: Type.Boolean({ default: false }),
  tlsCaCert: Type.Optional(Type.String()),
  tlsCert: Type.Optional(Type.String()),
  tlsKey: Type.Optional(Type.String()),
  insecureTcp: Type.Boolean({ default: false, description: 'allow tcp:// hosts without TLS' }),
  buildContextMax: Type.Integer({ minimum: 1024, default: 2 * 1024 * 1024 * 1024, description: 'largest build context accepted: bytes of the POST /build body as sent' }),
  rootless: Type.Boolean({ default: false, description: 'run as an ordinary user inside rootlesskit\'s namespaces (src/rootless.ts)' }),
  usernsRemap: Type.String({ default: '', description: 'default, USER[:GROUP] or UID[:GID]: image containers run in a user namespace mapped from its /etc/subuid and /etc/subgid ranges; empty: off' }),
  bridgeSubnet: Type.String({ default: '', pattern: '^$|^[0-9.]+/[0-9]+$', description: 'the default bridge network\'s IPv4 subnet when it is first made; empty: the first of Docker\'s pools that no host route overlaps' })
})
export type ConfigInput = Static<typeof ConfigSchema>

/** A configured OCI runtime: the name clients use and the binary it runs. */
export interface RuntimeEntry { readonly name: string, readonly path: string }

/** Where berthd serves the API: a Unix socket, or a TCP address (with TLS unless --insecure-tcp). */
export type Listener =
  | { readonly kind: 'unix', readonly path: string }
  | { readonly kind: 'tcp', readonly host: string, readonly port: number, readonly tls: boolean }

/** The TLS files of --tlsverify: the CA client certificates must chain to, and the server's own pair. */
export interface TlsFiles { readonly ca: string, readonly cert: string, readonly key: string }

/** The validated, resolved, frozen configuration. */
export interface Config extends Omit<ConfigInput, 'addRuntime' | 'runtime' | 'conmon' | 'hosts' | 'tlsVerify' | 'tlsCaCert' | 'tlsCert' | 'tlsKey' | 'insecureTcp'> {
  readonly defaultRuntime: string
  readonly runtimes: Readonly<Record<string, RuntimeEntry>>
  readonly conmon: string
  readonly listeners: readonly Listener[]
  /** Set with --tlsverify: every tcp:// listener then requires a client certificate signed by `ca`. */
  readonly tls?: TlsFiles
}

// Runtime arguments that start with a dash need the = form: --runtime-arg=--debug.
const FLAGS = {
  socket: { type: 'string' }, root: { type: 'string' }, state: { type: 'string' },
  runtime: { type: 'string' }, 'add-runtime': { type: 'string', multiple: true },
  'runtime-arg': { type: 'string', multiple: true }, conmon: { type: 'string' },
  'log-level': { type: 'string' }, 'create-timeout': { type: 'string' },
  'log-size-max': { type: 'string' }, 'init-path': { type: 'string' },
  'registry-mirror': { type: 'string', multiple: true }, 'insecure-registry': { type: 'string', multiple: true },
  'seccomp-profile': { type: 'string' }, 'bridge-subnet': { type: 'string' }, help: { type: 'boolean', short: 'h' },
  host: { type: 'string', short: 'H', multiple: true }, group: { type: 'string', short: 'G' },
  tlsverify: { type: 'boolean' }, tlscacert: { type: 'string' }, tlscert: { type: 'string' }, tlskey: { type: 'string' },
  'insecure-tcp': { type: 'boolean' }, 'build-context-max': { type: 'string' }, rootless: { type: 'boolean' }, 'userns-remap': { type: 'string' }
} as const

export const USAGE = `usage: berthd [options]
  --socket PATH          Unix socket to serve on            (BERTH_SOCKET, default /run/berth/berth.sock)
  --root DIR             persistent records and logs        (BERTH_ROOT, default /var/lib/berth)
  --state DIR            runtime state                      (BERTH_STATE, default /run/berth)
  --runtime NAME|PATH    default OCI runtime                (BERTH_RUNTIME, default runc)
  --add-runtime N=PATH   another runtime, repeatable        (BERTH_ADD_RUNTIME, comma-separated)
  --runtime-arg=ARG      global runtime argument, repeatable(BERTH_RUNTIME_ARGS, comma-separated)
  --conmon PATH          the monitor binary                 (BERTH_CONMON, default conmon from PATH)
  --log-level LEVEL      trace|debug|info|warn|error|fatal  (BERTH_LOG_LEVEL, default info)
  --create-timeout S     create handshake limit, seconds    (BERTH_CREATE_TIMEOUT, default 60)
  --log-size-max BYTES   container log size limit           (BERTH_LOG_SIZE_MAX, default 104857600)
  --init-path PATH       static init for HostConfig.Init     (BERTH_INIT_PATH, default /usr/bin/tini-static)
  --registry-mirror URL  docker.io mirror, repeatable       (BERTH_REGISTRY_MIRRORS, comma-separated)
  --insecure-registry H  HOST[:PORT] or CIDR reached with unverified TLS or HTTP, repeatable
                                                            (BERTH_INSECURE_REGISTRIES, comma-separated; 127.0.0.0/8 always)
  --seccomp-profile P    builtin, unconfined or a file       (BERTH_SECCOMP_PROFILE, default builtin: Docker's default profile)
  -H, --host URL         where to serve, repeatable: unix:///PATH, unix:// (= --socket) or
                         tcp://HOST:PORT                    (BERTH_HOST, comma-separated; default unix:// only)
  -G, --group NAME|GID   group owning the Unix sockets      (BERTH_GROUP, default: root's only)
  --tlsverify            tcp:// hosts use TLS and require a client certificate signed by --tlscacert
                                                            (BERTH_TLSVERIFY=1)
  --tlscacert PATH       CA for client certificates         (BERTH_TLSCACERT)
  --tlscert PATH         the server's certificate           (BERTH_TLSCERT)
  --tlskey PATH          the server's key                   (BERTH_TLSKEY)
  --insecure-tcp         allow tcp:// without TLS: root for anyone who reaches the port
                                                            (BERTH_INSECURE_TCP=1)
  --bridge-subnet CIDR   the default bridge's subnet, at its (BERTH_BRIDGE_SUBNET, default the first free of
                         first start                         172.17-31.0.0/16, 192.168.0-240.0/20)
  --build-context-max B  largest docker build context      (BERTH_BUILD_CONTEXT_MAX, default 2147483648)
  --rootless             run as an ordinary user under rootlesskit (BERTH_ROOTLESS=1); the defaults become
                         $XDG_RUNTIME_DIR/berth/berth.sock, ~/.local/share/berth, $XDG_RUNTIME_DIR/berth, crun
  --userns-remap SPEC    default|USER[:GROUP]|UID[:GID]: run image containers in a user namespace
                         mapped from /etc/subuid, /etc/subgid (BERTH_USERNS_REMAP; default off)
  CA certificates for a registry go in <root>/certs.d/HOST[:PORT]/*.crt, as in /etc/docker/certs.d.`

/** Thrown for a configuration that berthd cannot start with; the message says what to do. */
export class ConfigError extends Error {}

const INSTALL_HINT: Record<string, string> = {
  runc: 'install it with: apt-get install -y runc',
  crun: 'install it with: apt-get install -y crun',
  conmon: 'install it with: apt-get install -y conmon'
}

/** Finds an executable on PATH (or checks an absolute path); undefined when missing. */
export function findExecutable (nameOrPath: string, pathVar: string): string | undefined {
  const candidates = isAbsolute(nameOrPath) ? [nameOrPath] : pathVar.split(delimiter).filter(Boolean).map(d => join(d, nameOrPath))
  for (const c of candidates) {
    try { if (statSync(c).isFile()) { accessSync(c, constants.X_OK); return c } } catch {}
  }
  return undefined
}

const list = (v: string | undefined): string[] | undefined =>
  v === undefined ? undefined : v.split(',').map(s => s.trim()).filter(Boolean)
const bool = (v: string | undefined): boolean | undefined =>
  v === undefined || v === '' ? undefined : /^(1|true|yes)$/i.test(v)

/**
 * Parses one -H value as dockerd does: `unix://` alone is the default socket;
 * a tcp:// host without an address is 127.0.0.1 and without a port 2376 with
 * TLS, 2375 without (dockerd's defaults).
 */
export function parseHost (spec: string, socket: string, tls: boolean): Listener {
  const bad = (why: string): ConfigError => new ConfigError(`invalid -H ${JSON.stringify(spec)}: ${why}`)
  if (spec.startsWith('unix://')) {
    const path = spec.slice('unix://'.length)
    if (path === '') return { kind: 'unix', path: socket }
    if (!isAbsolute(path)) throw bad('the socket path must be absolute (unix:///run/berth/berth.sock)')
    return { kind: 'unix', path }
  }
  if (spec.startsWith('tcp://')) {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:/[\]]*))(?::(\d{1,5}))?\/?$/.exec(spec.slice('tcp://'.length))
    if (m === null) throw bad('expected tcp://HOST:PORT')
    const port = m[3] === undefined ? (tls ? 2376 : 2375) : Number(m[3])
    if (port < 1 || port > 65535) throw bad('the port must be 1 to 65535')
    const host = m[1] ?? m[2] ?? ''
    return { kind: 'tcp', host: host === '' ? '127.0.0.1' : host, port, tls }
  }
  throw bad('berthd serves unix:///PATH and tcp://HOST:PORT')
}

/**
 * Checks the access flags together: TCP carries TLS with client certificates
 * unless plain TCP is asked for by name, since whoever reaches an
 * unauthenticated port has root on the host.
 */
function listenersOf (input: ConfigInput): { listeners: Listener[], tls?: TlsFiles } {
  const files = { ca: input.tlsCaCert, cert: input.tlsCert, key: input.tlsKey }
  let tls: TlsFiles | undefined
  if (input.tlsVerify) {
    for (const [flag, v] of [['--tlscacert', files.ca], ['--tlscert', files.cert], ['--tlskey', files.key]] as const) {
      if (v === undefined) throw new ConfigError(`--tlsverify needs ${flag}: clients are verified against --tlscacert and the server presents --tlscert and --tlskey`)
    }
    tls = files as TlsFiles
  } else if (Object.values(files).some(v => v !== undefined)) {
    throw new ConfigError('--tlscacert, --tlscert and --tlskey take effect with --tlsverify; berthd serves TLS only with client certificates required')
  }
  const specs = input.hosts.length > 0 ? input.hosts : ['unix://']
  const listeners = specs.map(h => parseHost(h, input.socket, tls !== undefined))
  const plain = listeners.find(l => l.kind === 'tcp' && !l.tls)
  if (plain !== undefined && !input.insecureTcp) {
    throw new ConfigError(`refusing to serve ${specs[listeners.indexOf(plain)]} without TLS: anyone who can connect would have root on this host. ` +
      'Pass --tlsverify --tlscacert CA --tlscert CERT --tlskey KEY, or --insecure-tcp to accept that')
  }
  return { listeners, tls }
}

/**
 * Builds the config from argv and env (flags win). Pure apart from looking up
 * executables on PATH (and the uid, with --rootless); throws ConfigError with a message fit for the user.
 */
export function loadConfig (argv: string[], env: NodeJS.ProcessEnv): Readonly<Config> {
  let flags
  try {
    flags = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false }).values
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n${USAGE}`)
  }
  if (flags.help === true) throw new ConfigError(USAGE)
  const num = (v: string | undefined): number | undefined => v === undefined ? undefined : Number(v)
  const raw: Record<string, unknown> = {
    socket: flags.socket ?? env.BERTH_SOCKET,
    root: flags.root ?? env.BERTH_ROOT,
    state: flags.state ?? env.BERTH_STATE,
    runtime: flags.runtime ?? env.BERTH_RUNTIME,
    addRuntime: flags['add-runtime'] ?? list(env.BERTH_ADD_RUNTIME),
    runtimeArgs: flags['runtime-arg'] ?? list(env.BERTH_RUNTIME_ARGS),
    conmon: flags.conmon ?? env.BERTH_CONMON,
    logLevel: flags['log-level'] ?? env.BERTH_LOG_LEVEL,
    createTimeout: num(flags['create-timeout'] ?? env.BERTH_CREATE_TIMEOUT),
    logSizeMax: num(flags['log-size-max'] ?? env.BERTH_LOG_SIZE_MAX),
    init: flags['init-path'] ?? env.BERTH_INIT_PATH,
    registryMirrors: flags['registry-mirror'] ?? list(env.BERTH_REGISTRY_MIRRORS),
    insecureRegistries: flags['insecure-registry'] ?? list(env.BERTH_INSECURE_REGISTRIES),
    hosts: flags.host ?? list(env.BERTH_HOST),
    group: flags.group ?? env.BERTH_GROUP,
    tlsVerify: flags.tlsverify ?? bool(env.BERTH_TLSVERIFY),
    tlsCaCert: flags.tlscacert ?? env.BERTH_TLSCACERT,
    tlsCert: flags.tlscert ?? env.BERTH_TLSCERT,
    tlsKey: flags.tlskey ?? env.BERTH_TLSKEY,
    seccompProfile: flags['seccomp-profile'] ?? env.BERTH_SECCOMP_PROFILE,
    insecureTcp: flags['insecure-tcp'] ?? bool(env.BERTH_INSECURE_TCP),
    bridgeSubnet: flags['bridge-subnet'] ?? env.BERTH_BRIDGE_SUBNET,
    buildContextMax: num(flags['build-context-max'] ?? env.BERTH_BUILD_CONTEXT_MAX),
    rootless: flags.rootless ?? bool(env.BERTH_ROOTLESS),
    usernsRemap: flags['userns-remap'] ?? env.BERTH_USERNS_REMAP
  }
  for (const k of Object.keys(raw)) if (raw[k] === undefined) delete raw[k]
  if (raw.rootless === true) {
    // berthd's own user namespace is the remap: its ids are the user's subordinate range already.
    if (raw.usernsRemap !== undefined && raw.usernsRemap !== '') throw new ConfigError('--userns-remap cannot be used with --rootless: a rootless berthd\'s containers already run in the user\'s own user namespace')
    try {
      for (const [k, v] of Object.entries(rootlessDefaults(env, process.getuid?.() ?? 0))) raw[k] ??= v
    } catch (err) {
      if (err instanceof RootlessError) throw new ConfigError(err.message)
      throw err
    }
  }
  // ajv (which fastify loads anyway) applies the schema's defaults and checks it; typebox/value would add ~150 ms to start-up.
  const check = new Ajv({ useDefaults: true, allErrors: false, strict: false }).compile<ConfigInput>(ConfigSchema)
  const input = raw as ConfigInput
  if (!check(input)) {
    const e = check.errors?.[0]
    throw new ConfigError(`invalid configuration: ${e?.instancePath.slice(1) ?? ''} ${e?.message ?? ''}`.trim())
  }
  for (const [k, v] of [['socket', input.socket], ['root', input.root], ['state', input.state]] as const) {
    if (!isAbsolute(v)) throw new ConfigError(`--${k} must be an absolute path, got ${JSON.stringify(v)}`)
  }
  if (!['builtin', 'unconfined'].includes(input.seccompProfile) && !isAbsolute(input.seccompProfile)) {
    throw new ConfigError(`--seccomp-profile takes builtin, unconfined or an absolute path, got ${JSON.stringify(input.seccompProfile)}`)
  }
  let registryMirrors: string[]
  try {
    registryMirrors = input.registryMirrors.map(normalizeMirror)
    for (const r of input.insecureRegistries) checkInsecure(r)
  } catch (err) {
    throw new ConfigError((err as Error).message)
  }
  const pathVar = env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  const runtimes: Record<string, RuntimeEntry> = Object.create(null) as Record<string, RuntimeEntry>
  for (const name of ['runc', 'crun']) {
    const path = findExecutable(name, pathVar)
    if (path !== undefined) runtimes[name] = { name, path }
  }
  for (const spec of input.addRuntime) {
    const i = spec.indexOf('=')
    const name = spec.slice(0, i); const path = spec.slice(i + 1)
    if (findExecutable(path, pathVar) === undefined) throw new ConfigError(`runtime ${name}: ${path} is not an executable file`)
    runtimes[name] = { name, path }
  }
  let defaultRuntime = input.runtime
  if (isAbsolute(defaultRuntime)) {
    if (findExecutable(defaultRuntime, pathVar) === undefined) throw new ConfigError(`runtime ${defaultRuntime} is not an executable file`)
    const name = basename(defaultRuntime)
    runtimes[name] = { name, path: defaultRuntime }
    defaultRuntime = name
  } else if (!Object.hasOwn(runtimes, defaultRuntime)) {
    throw new ConfigError(`OCI runtime "${defaultRuntime}" not found on PATH; ${INSTALL_HINT[defaultRuntime] ?? 'pass --runtime with an absolute path or --add-runtime NAME=PATH'}`)
  }
  const conmon = findExecutable(input.conmon, pathVar)
  if (conmon === undefined) throw new ConfigError(`conmon (the container monitor) not found${isAbsolute(input.conmon) ? ` at ${input.conmon}` : ' on PATH'}; ${INSTALL_HINT.conmon}`)
  const { listeners, tls } = listenersOf(input)
  const { addRuntime: _a, runtime: _r, conmon: _c, hosts: _h, tlsVerify: _v, tlsCaCert: _ca, tlsCert: _ce, tlsKey: _k, insecureTcp: _i, ...rest } = input
  return Object.freeze({
    ...rest,
    runtimeArgs: Object.freeze([...rest.runtimeArgs]) as string[],
    defaultRuntime,
    runtimes: Object.freeze(runtimes),
    conmon,
    registryMirrors: Object.freeze(registryMirrors) as string[],
    insecureRegistries: Object.freeze([...rest.insecureRegistries]) as string[],
    listeners: Object.freeze(listeners.map(l => Object.freeze(l))),
    ...(tls === undefined ? {} : { tls: Object.freeze(tls) })
  })
}
