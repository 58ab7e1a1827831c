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
  bridgeSubnet: Type.String({ default: '', pattern: '^$|^[0-9.]+/[0-9]+$', description: 'the default bridge network\'s IPv4 subnet when it is first made; empty: the first of Docker\'s pools that no host route overlaps' })
})
export type ConfigInput = Static<typeof ConfigSchema>

/** A configured OCI runtime: the name clients use and the binary it runs. */
export interface RuntimeEntry { readonly name: string, readonly path: string }

/** The validated, resolved, frozen configuration. */
export interface Config extends Omit<ConfigInput, 'addRuntime' | 'runtime' | 'conmon'> {
  readonly defaultRuntime: string
  readonly runtimes: Readonly<Record<string, RuntimeEntry>>
  readonly conmon: string
}

// Runtime arguments that start with a dash need the = form: --runtime-arg=--debug.
const FLAGS = {
  socket: { type: 'string' }, root: { type: 'string' }, state: { type: 'string' },
  runtime: { type: 'string' }, 'add-runtime': { type: 'string', multiple: true },
  'runtime-arg': { type: 'string', multiple: true }, conmon: { type: 'string' },
  'log-level': { type: 'string' }, 'create-timeout': { type: 'string' },
  'log-size-max': { type: 'string' }, 'init-path': { type: 'string' }, 'bridge-subnet': { type: 'string' }, help: { type: 'boolean', short: 'h' }
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
  --bridge-subnet CIDR   the default bridge's subnet, at its (BERTH_BRIDGE_SUBNET, default the first free of
                         first start                         172.17-31.0.0/16, 192.168.0-240.0/20)`

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

/**
 * Builds the config from argv and env (flags win). Pure apart from looking up
 * executables on PATH; throws ConfigError with a message fit for the user.
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
    bridgeSubnet: flags['bridge-subnet'] ?? env.BERTH_BRIDGE_SUBNET
  }
  for (const k of Object.keys(raw)) if (raw[k] === undefined) delete raw[k]
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
  const { addRuntime: _a, runtime: _r, conmon: _c, ...rest } = input
  return Object.freeze({ ...rest, runtimeArgs: Object.freeze([...rest.runtimeArgs]) as string[], defaultRuntime, runtimes: Object.freeze(runtimes), conmon })
}
