/**
 * TypeBox schemas of the API: the one source for validation, TypeScript
 * types and the OpenAPI document. Routes import them all from here; the
 * shared pieces live in common-schemas.ts and the image routes' in
 * image-schemas.ts.
 */
import { Type, type TSchema } from 'typebox'
import { NAME_PATTERN } from '../containers/names.js'

/** Docker's `POST /containers/create` body; defined beside its consumer, containers/dockerspec.ts. */
export { DockerCreateBody } from '../containers/createbody.js'
import { orNull } from '../containers/createbody.js'
import { DockerBool, Healthcheck, Labels } from './common-schemas.js'
import { ImageSummary } from './image-schemas.js'

export * from './common-schemas.js'
export * from './image-schemas.js'

/** Docker's RestartPolicy as asked for in create and update bodies. */
export const RestartPolicy = orNull(Type.Object({
  Name: Type.Optional(orNull(Type.String())),
  MaximumRetryCount: Type.Optional(orNull(Type.Integer()))
}), 'Docker\'s restart policy: Name `no` (or empty), `always`, `unless-stopped` or `on-failure`; MaximumRetryCount only with on-failure (0: no limit)')

export const CreateBody = Type.Object({
  Bundle: Type.String({ minLength: 1, description: 'Absolute path of an OCI bundle (a dir holding config.json); berth never writes to it' }),
  Name: Type.Optional(Type.String({ pattern: NAME_PATTERN, description: 'Container name, Docker\'s pattern; generated when absent' })),
  Runtime: Type.Optional(Type.String({ description: 'Name of a configured OCI runtime; the daemon\'s default when absent' })),
  Labels: Type.Optional(Labels),
  Tty: Type.Optional(Type.Boolean({ description: 'Allocate a pseudo-TTY (overrides process.terminal)' })),
  OpenStdin: Type.Optional(Type.Boolean({ description: 'Keep a stdin pipe open for the container' })),
  StdinOnce: Type.Optional(Type.Boolean({ description: 'Close the container\'s stdin when the first attached client\'s stdin ends (Docker\'s `run -i`); otherwise it stays open across attaches' })),
  ConsoleSize: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { minItems: 2, maxItems: 2, description: 'Initial terminal size [height, width], with Tty' })),
  RestartPolicy: Type.Optional(RestartPolicy)
}, { description: 'Unknown fields are ignored, as Docker ignores them', examples: [{ Bundle: '/srv/bundles/hello', Name: 'hello' }] })

export const CreateResponse = Type.Object({
  Id: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  Warnings: Type.Array(Type.String())
}, { description: 'Created', examples: [{ Id: '4fa6e0f0c6786287e131c3852c58a2e01cc697a68231826813597e4994f1d6e2', Warnings: [] }] })

/** Docker's sizes, sent when `size=1` is asked for. */
const Sizes = {
  SizeRw: Type.Optional(Type.Integer({ description: 'With size=1: bytes the container wrote in its own layer' })),
  SizeRootFs: Type.Optional(Type.Integer({ description: 'With size=1: those bytes plus its image\'s' }))
}

export const ContainerSummary = Type.Object({
  Id: Type.String(),
  Names: Type.Array(Type.String()),
  Image: Type.String(),
  ImageID: Type.String(),
  Command: Type.String(),
  Created: Type.Integer({ description: 'Unix seconds' }),
  State: Type.String(),
  Status: Type.String({ description: 'Human status, e.g. "Up 3 seconds", "Exited (0) 5 seconds ago"' }),
  Ports: Type.Array(Type.Unknown()),
  Labels: Labels,
  HostConfig: Type.Object({ NetworkMode: Type.String() }),
  NetworkSettings: Type.Object({ Networks: Type.Record(Type.String(), Type.Unknown()) }),
  Mounts: Type.Array(Type.Unknown()),
  ...Sizes
})

export const ListQuery = Type.Object({
  all: Type.Optional(DockerBool),
  limit: Type.Optional(Type.Integer({ description: 'Only the N most recently created containers, stopped ones included; -1 or 0 for all' })),
  size: Type.Optional(DockerBool),
  filters: Type.Optional(Type.String({ description: 'JSON: {"id":["..."],"name":["..."],"label":["k","k=v"],"status":["running"],"exited":["0"],"ancestor":["image"],"before":["container"],"since":["container"],"health":["starting|healthy|unhealthy|none"]}, map form {"name":{"x":true}} too; a status, before or since filter lists stopped containers without all=1; an unknown before/since container is a 404' }))
})

const Health = Type.Object({
  Status: Type.String({ enum: ['starting', 'healthy', 'unhealthy'] }),
  FailingStreak: Type.Integer(),
  Log: Type.Array(Type.Object({ Start: Type.String(), End: Type.String(), ExitCode: Type.Integer(), Output: Type.String() }), { description: 'The last 5 probes, oldest first; output capped at 4096 bytes' })
}, { description: 'Present when the container has a healthcheck' })

const State = Type.Object({
  Status: Type.String({ enum: ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'] }),
  Running: Type.Boolean(),
  Paused: Type.Boolean(),
  Restarting: Type.Boolean(),
  OOMKilled: Type.Boolean(),
  Dead: Type.Boolean(),
  Pid: Type.Integer(),
  ExitCode: Type.Integer(),
  Error: Type.String(),
  StartedAt: Type.String(),
  FinishedAt: Type.String(),
  Health: Type.Optional(Health)
})

export const ContainerInspect = Type.Object({
  Id: Type.String(),
  Created: Type.String(),
  Path: Type.String(),
  Args: Type.Array(Type.String()),
  State,
  Image: Type.String(),
  Name: Type.String(),
  RestartCount: Type.Integer(),
  Driver: Type.String(),
  Platform: Type.String(),
  MountLabel: Type.String({ description: 'Always empty: berth applies no SELinux label' }),
  ProcessLabel: Type.String({ description: 'Always empty: berth applies no SELinux label' }),
  AppArmorProfile: Type.String({ description: 'Always empty: berth applies no AppArmor profile (Docker shows empty on a host without AppArmor)' }),
  LogPath: Type.String(),
  ExecIDs: Type.Union([Type.Null(), Type.Array(Type.String())]),
  Bundle: Type.String({ description: 'berth: the OCI bundle the container was created from' }),
  ...Sizes,
  Config: Type.Object({
    Hostname: Type.String(),
    Domainname: Type.String(),
    User: Type.String(),
    AttachStdin: Type.Boolean(),
    AttachStdout: Type.Boolean(),
    AttachStderr: Type.Boolean(),
    Tty: Type.Boolean(),
    OpenStdin: Type.Boolean(),
    StdinOnce: Type.Boolean(),
    Env: Type.Array(Type.String()),
    Cmd: Type.Union([Type.Null(), Type.Array(Type.String())]),
    Image: Type.String(),
    WorkingDir: Type.String(),
    Entrypoint: Type.Union([Type.Null(), Type.Array(Type.String())]),
    Labels,
    Healthcheck: Type.Optional(Healthcheck)
  }),
  HostConfig: Type.Object({
    LogConfig: Type.Object({ Type: Type.String(), Config: Type.Record(Type.String(), Type.String()) }),
    NetworkMode: Type.String(),
    RestartPolicy: Type.Object({ Name: Type.String(), MaximumRetryCount: Type.Integer() }),
    AutoRemove: Type.Boolean(),
    Runtime: Type.String()
  }),
  GraphDriver: Type.Object({ Name: Type.String(), Data: Type.Record(Type.String(), Type.String()) }),
  Mounts: Type.Array(Type.Unknown()),
  NetworkSettings: Type.Object({
    Networks: Type.Record(Type.String(), Type.Unknown(), { description: 'Per network: NetworkID, IPAddress, IPPrefixLen, Gateway, MacAddress, Aliases (while the container has a run)' }),
    Ports: Type.Record(Type.String(), Type.Unknown(), { description: '`<port>/<proto>` → its host bindings [{HostIp, HostPort}] while running, else null' }),
    IPAddress: Type.String({ description: 'On the default bridge; empty elsewhere, as in Docker' }),
    Gateway: Type.String(),
    MacAddress: Type.String(),
    SandboxKey: Type.String({ description: 'The network namespace file' })
  })
}, { description: 'Docker\'s inspect document' })

export const KillQuery = Type.Object({
  signal: Type.Optional(Type.String({ description: 'Signal name (HUP, SIGHUP) or number; default SIGKILL' }))
})

export const StopQuery = Type.Object({
  t: Type.Optional(Type.Integer({ minimum: -1, description: 'Seconds to wait before SIGKILL; -1 waits for ever; default 10' })),
  signal: Type.Optional(Type.String({ description: 'Signal to stop with; default SIGTERM' }))
})

export const WaitQuery = Type.Object({
  // An empty condition is not-running, as in Docker: the 20.10 client sends `condition=` for a plain `docker wait`.
  condition: Type.Optional(Type.Union([Type.Literal('not-running'), Type.Literal('next-exit'), Type.Literal('removed'), Type.Literal('')], { description: 'Default (and empty) not-running' }))
})

export const WaitResponse = Type.Object({
  StatusCode: Type.Integer(),
  Error: Type.Union([Type.Null(), Type.Object({ Message: Type.String() })])
}, { description: 'The container stopped (or was removed). Status and headers are sent at once; this body follows when the condition is met.', examples: [{ StatusCode: 0, Error: null }] })

export const DeleteQuery = Type.Object({
  force: Type.Optional(DockerBool),
  v: Type.Optional(DockerBool),
  link: Type.Optional(DockerBool)
})

export const LogsQuery = Type.Object({
  stdout: Type.Optional(DockerBool),
  stderr: Type.Optional(DockerBool),
  timestamps: Type.Optional(DockerBool),
  follow: Type.Optional(DockerBool),
  details: Type.Optional(DockerBool),
  tail: Type.Optional(Type.String({ description: '`all` or a number of lines' })),
  since: Type.Optional(Type.String({ description: 'Unix seconds (fraction allowed) or RFC 3339' })),
  until: Type.Optional(Type.String({ description: 'Unix seconds (fraction allowed) or RFC 3339' }))
})

export const LogsResponse = Type.Unsafe<NodeJS.ReadableStream>({
  type: 'string',
  description: 'The log. Non-TTY containers: `application/vnd.docker.multiplexed-stream`, frames of an 8-byte header ' +
    '[stream (1 stdout, 2 stderr), 0, 0, 0, payload length as uint32 big-endian] followed by the payload. ' +
    'TTY containers: `application/vnd.docker.raw-stream`, the bytes as written. With follow=1 the stream ends when the container stops.'
})

export const EventsQuery = Type.Object({
  since: Type.Optional(Type.String({ description: 'Replay kept events from this time: unix seconds (fraction allowed) or RFC 3339' })),
  until: Type.Optional(Type.String({ description: 'End the stream at this time: unix seconds (fraction allowed) or RFC 3339' })),
  filters: Type.Optional(Type.String({ description: 'JSON: `{"type":["container"],"event":["die"]}` or `{"event":{"die":true}}`; keys container, image, volume, event, type, label' }))
})

export const EventMessage = Type.Object({
  Type: Type.String({ description: '`container`, `image` or `volume`' }),
  Action: Type.String({ description: 'create, start, die, kill, stop, pause, unpause, restart, destroy, attach, oom, exec_create: CMD, exec_start: CMD, exec_die, archive-path, extract-to-dir, export, commit; import, load, tag, untag, delete; volumes: create, mount, unmount, destroy' }),
  Actor: Type.Object({
    ID: Type.String(),
    Attributes: Type.Record(Type.String(), Type.String(), { description: 'Containers: their labels, image, name (and exitCode, execDuration, signal, execID); images: name' })
  }),
  scope: Type.String(),
  time: Type.Integer({ description: 'Unix seconds' }),
  timeNano: Type.Integer({ description: 'Unix nanoseconds, written exactly (above 2^53: parse it as a big integer)' }),
  status: Type.Optional(Type.String({ deprecated: true })),
  id: Type.Optional(Type.String({ deprecated: true })),
  from: Type.Optional(Type.String({ deprecated: true }))
}, { description: 'One event per line (application/json, newline-delimited), flushed as it happens', examples: [{ Type: 'container', Action: 'die', Actor: { ID: '5047c1f3e2a0', Attributes: { execDuration: '2', exitCode: '0', image: 'bb', name: 'x' } }, scope: 'local', time: 1795857574, timeNano: 1795857574123456789 }] })

export const VersionResponse = Type.Object({
  Platform: Type.Object({ Name: Type.String() }),
  Version: Type.String(),
  ApiVersion: Type.String(),
  MinAPIVersion: Type.String(),
  GitCommit: Type.String(),
  GoVersion: Type.String(),
  Os: Type.String(),
  Arch: Type.String(),
  KernelVersion: Type.String(),
  BuildTime: Type.String(),
  Experimental: Type.Boolean(),
  Components: Type.Array(Type.Object({ Name: Type.String(), Version: Type.String(), Details: Type.Record(Type.String(), Type.String()) }))
})

const Commit = Type.Object({ ID: Type.String(), Expected: Type.String() })
const Strs = Type.Array(Type.String())

/** Every field of Docker's SystemInfo (moby api/swagger.yaml), with CDISpecDirs from API 1.44; zero where berth has no such thing. */
export const InfoResponse = Type.Object({
  ID: Type.String(),
  Containers: Type.Integer(),
  ContainersRunning: Type.Integer(),
  ContainersPaused: Type.Integer(),
  ContainersStopped: Type.Integer(),
  Images: Type.Integer(),
  Driver: Type.String(),
  DriverStatus: Type.Array(Strs),
  DockerRootDir: Type.String(),
  Plugins: Type.Object({ Volume: Strs, Network: Strs, Authorization: Type.Union([Type.Null(), Strs]), Log: Strs }, { description: 'What berth offers: the local volume driver, the host and null networks, the log drivers it writes' }),
  MemoryLimit: Type.Boolean(),
  SwapLimit: Type.Boolean(),
  KernelMemory: Type.Boolean(),
  CpuCfsPeriod: Type.Boolean(),
  CpuCfsQuota: Type.Boolean(),
  CPUShares: Type.Boolean(),
  CPUSet: Type.Boolean(),
  PidsLimit: Type.Boolean(),
  OomKillDisable: Type.Boolean(),
  IPv4Forwarding: Type.Boolean(),
  BridgeNfIptables: Type.Boolean(),
  BridgeNfIp6tables: Type.Boolean(),
  Debug: Type.Boolean({ description: 'Logging at debug or trace level' }),
  NFd: Type.Integer(),
  NGoroutines: Type.Integer({ description: 'Always 0: berthd is not written in Go' }),
  SystemTime: Type.String(),
  LoggingDriver: Type.String(),
  CgroupDriver: Type.String(),
  CgroupVersion: Type.String(),
  NEventsListener: Type.Integer(),
  KernelVersion: Type.String(),
  OperatingSystem: Type.String(),
  OSVersion: Type.String(),
  OSType: Type.String(),
  Architecture: Type.String(),
  NCPU: Type.Integer(),
  MemTotal: Type.Integer(),
  IndexServerAddress: Type.String({ description: 'Empty: berth uses no registry' }),
  RegistryConfig: Type.Object({
    AllowNondistributableArtifactsCIDRs: Strs,
    AllowNondistributableArtifactsHostnames: Strs,
    InsecureRegistryCIDRs: Strs,
    IndexConfigs: Type.Record(Type.String(), Type.Unknown()),
    Mirrors: Strs
  }),
  GenericResources: Type.Union([Type.Null(), Type.Array(Type.Unknown())]),
  HttpProxy: Type.String(),
  HttpsProxy: Type.String(),
  NoProxy: Type.String(),
  Name: Type.String(),
  Labels: Strs,
  ExperimentalBuild: Type.Boolean(),
  ServerVersion: Type.String(),
  ClusterStore: Type.String(),
  ClusterAdvertise: Type.String(),
  Runtimes: Type.Record(Type.String(), Type.Object({ path: Type.String() })),
  DefaultRuntime: Type.String(),
  Swarm: Type.Object({
    NodeID: Type.String(),
    NodeAddr: Type.String(),
    LocalNodeState: Type.String(),
    ControlAvailable: Type.Boolean(),
    Error: Type.String(),
    RemoteManagers: Type.Null()
  }),
  LiveRestoreEnabled: Type.Boolean({ description: 'Containers run on while berthd restarts: each has its own monitor' }),
  Isolation: Type.String(),
  InitBinary: Type.String({ description: 'What HostConfig.Init runs, as Docker names it (tini, bind-mounted as /sbin/docker-init)' }),
  ContainerdCommit: Commit,
  RuncCommit: Commit,
  InitCommit: Commit,
  SecurityOptions: Strs,
  ProductLicense: Type.String(),
  DefaultAddressPools: Type.Array(Type.Object({ Base: Type.String(), Size: Type.Integer() })),
  Warnings: Strs,
  CDISpecDirs: Strs
})

const Bool = Type.Union([Type.Null(), Type.Boolean()])
const ConsoleSize = Type.Union([Type.Null(), Type.Array(Type.Integer({ minimum: 0 }), { minItems: 2, maxItems: 2 })], { description: '[height, width] of the terminal' })

export const AttachQuery = Type.Object({
  stream: Type.Optional(DockerBool),
  stdin: Type.Optional(DockerBool),
  stdout: Type.Optional(DockerBool),
  stderr: Type.Optional(DockerBool),
  logs: Type.Optional(DockerBool),
  detachKeys: Type.Optional(Type.String({ description: 'Keys that detach a TTY client, e.g. `ctrl-p,ctrl-q` (the default)' }))
})

export const StreamResponse = Type.Unsafe<NodeJS.ReadableStream>({
  type: 'string',
  description: 'The connection becomes a raw stream. With `Connection: Upgrade` and `Upgrade: tcp` the answer is `101 UPGRADED`, ' +
    'and the client\'s bytes after the request are stdin (its half-close ends stdin); without, `200 OK` is read until the server closes. ' +
    'Output is framed as the logs are (8-byte header: stream 1 stdout, 2 stderr, then uint32 big-endian length) unless the process has a TTY, ' +
    'then raw. The server closes the stream when the process ends.'
})

export const WebsocketResponse = Type.Unsafe<NodeJS.ReadableStream>({
  type: 'string',
  description: 'Switching Protocols: the connection is a websocket (RFC 6455). Output comes as binary messages (text before API 1.28) of raw bytes, ' +
    'stdout and stderr not multiplexed; the client\'s messages are stdin. The server closes with 1000 when the output ends; the client\'s close ends stdin.'
})

export const ResizeQuery = Type.Object({
  h: Type.Integer({ description: 'Rows, 1 to 65535' }),
  w: Type.Integer({ description: 'Columns, 1 to 65535' })
})

export const ExecCreateBody = Type.Object({
  Cmd: Type.Optional(Type.Unsafe<string[] | string | null>({ type: ['array', 'string', 'null'], items: { type: 'string' }, description: 'The command; a string is one argument, as Docker\'s StrSlice reads it' })),
  Env: Type.Optional(orNull(Type.Array(Type.String()))),
  WorkingDir: Type.Optional(Type.Union([Type.Null(), Type.String()])),
  User: Type.Optional(Type.Union([Type.Null(), Type.String()], { description: 'uid, uid:gid, name or name:group, resolved in the container' })),
  Tty: Type.Optional(Bool),
  AttachStdin: Type.Optional(Bool),
  AttachStdout: Type.Optional(Bool),
  AttachStderr: Type.Optional(Bool),
  Privileged: Type.Optional(Bool),
  DetachKeys: Type.Optional(Type.Union([Type.Null(), Type.String()])),
  ConsoleSize: Type.Optional(ConsoleSize)
}, { description: 'Docker\'s exec create body; other fields (Detach, Container) are ignored', examples: [{ Cmd: ['ls', '/'], AttachStdout: true, AttachStderr: true }] })

export const ExecCreateResponse = Type.Object({ Id: Type.String({ pattern: '^[0-9a-f]{64}$' }) }, { description: 'Created' })

export const ExecStartBody = Type.Union([Type.Null(), Type.Object({
  Detach: Type.Optional(Bool),
  Tty: Type.Optional(Type.Union([Type.Null(), Type.Boolean()], { description: 'A raw stream; without it the stream is framed, as Docker decides it from this field, not from the exec\'s own Tty' })),
  ConsoleSize: Type.Optional(ConsoleSize)
}, { description: 'Docker\'s exec start body; other fields are ignored' })])

export const ExecInspect = Type.Object({
  ID: Type.String(),
  Running: Type.Boolean(),
  ExitCode: Type.Union([Type.Null(), Type.Integer()], { description: 'null until the process has ended; set before an attached stream closes' }),
  ProcessConfig: Type.Object({
    entrypoint: Type.String(),
    arguments: Type.Array(Type.String()),
    tty: Type.Boolean(),
    privileged: Type.Boolean(),
    user: Type.String()
  }),
  OpenStdin: Type.Boolean(),
  OpenStdout: Type.Boolean(),
  OpenStderr: Type.Boolean(),
  CanRemove: Type.Boolean(),
  ContainerID: Type.String(),
  DetachKeys: Type.String(),
  Pid: Type.Integer()
})

export const TarBody = Type.Unsafe<NodeJS.ReadableStream>({ description: 'A tar archive, plain or gzip, sent with any content type (the CLI sends text/plain or application/x-tar); no size limit' })

/** POST /build's query: the classic builder's parameters (moby api/server/router/build). */
export const BuildQuery = Type.Object({
  dockerfile: Type.Optional(Type.String({ maxLength: 4095, description: 'Path of the Dockerfile inside the context (default `Dockerfile`, then `dockerfile`)' })),
  t: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description: 'A `name:tag` for the result (repeatable)' })),
  buildargs: Type.Optional(Type.String({ description: 'JSON object of build-time variables (ARG)' })),
  labels: Type.Optional(Type.String({ description: 'JSON object of labels added to the image' })),
  target: Type.Optional(Type.String({ description: 'The stage of a multi-stage Dockerfile to build' })),
  nocache: Type.Optional(DockerBool),
  pull: Type.Optional(Type.String({ description: 'Pull every base image again (through berth\'s registry client) even when the store has it' })),
  q: Type.Optional(DockerBool),
  rm: Type.Optional(DockerBool),
  forcerm: Type.Optional(DockerBool),
  networkmode: Type.Optional(Type.String({ description: '`default`/`bridge` or `host` (RUN steps share the host\'s network), `none` (an empty network namespace)' })),
  extrahosts: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description: '`host:ip` entries for /etc/hosts in RUN steps (repeatable or comma-separated)' })),
  shmsize: Type.Optional(Type.Integer({ minimum: 0, description: 'Bytes of /dev/shm in RUN steps' })),
  memory: Type.Optional(Type.Integer({ minimum: 0, description: 'Memory limit of RUN steps, bytes (any limit runs RUN steps under the OCI runtime, which applies it)' })),
  memswap: Type.Optional(Type.Integer({ minimum: -1, description: 'Memory plus swap of RUN steps, bytes; -1 unlimited' })),
  cpushares: Type.Optional(Type.Integer({ minimum: 0, description: 'CPU shares of RUN steps' })),
  cpuperiod: Type.Optional(Type.Integer({ minimum: 0, description: 'CFS period of RUN steps, microseconds' })),
  cpuquota: Type.Optional(Type.Integer({ minimum: 0, description: 'CFS quota of RUN steps, microseconds' })),
  cpusetcpus: Type.Optional(Type.String({ pattern: '^[0-9,-]*$', description: 'CPUs RUN steps may use, e.g. `0-1`' })),
  cpusetmems: Type.Optional(Type.String({ pattern: '^[0-9,-]*$', description: 'Memory nodes RUN steps may use' })),
  platform: Type.Optional(Type.String({ description: 'Only the host\'s platform (e.g. `linux/amd64`) is built' })),
  version: Type.Optional(Type.String({ description: '`1` (the classic builder); `2` (BuildKit) is refused' })),
  cachefrom: Type.Optional(Type.String({ description: 'Accepted and ignored: the build cache is buildah\'s local one' })),
  session: Type.Optional(Type.String({ description: 'A BuildKit session: refused' })),
  remote: Type.Optional(Type.String({ description: 'A remote context (Git URL or tarball URL): refused; send the context as the body' }))
}, { additionalProperties: true })

/** POST /build's headers. */
export const BuildHeaders = Type.Object({
  'x-registry-config': Type.Optional(Type.String({ description: 'Credentials for base images: base64url of a JSON object from registry address to AuthConfig. Never logged nor stored.' }))
})

export const BuildPruneResponse = Type.Object({
  CachesDeleted: Type.Array(Type.String(), { description: 'Ids of the build-cache images removed' }),
  SpaceReclaimed: Type.Integer({ description: 'Bytes freed in the builder\'s storage' })
})

export const AuthRequest = Type.Object({
  username: Type.Optional(Type.String()),
  password: Type.Optional(Type.String()),
  auth: Type.Optional(Type.String({ description: 'base64 of username:password' })),
  email: Type.Optional(Type.String()),
  serveraddress: Type.Optional(Type.String({ description: 'The registry: host[:port], or Docker Hub\'s https://index.docker.io/v1/ (the default)' })),
  identitytoken: Type.Optional(Type.String()),
  registrytoken: Type.Optional(Type.String())
}, { additionalProperties: true })

export const AuthResponse = Type.Object({
  Status: Type.String({ examples: ['Login Succeeded'] }),
  IdentityToken: Type.String({ description: 'A refresh token the registry\'s token server gave, for the client to send instead of the password; empty when none' })
})

/** A 200 answer that is a stream of JsonMessage lines (pull, push, load, build). */
export const jsonStream = (description: string) => ({ description, content: { 'application/json': { schema: Type.Ref('JsonMessage') } } })

const orNullList = <T extends TSchema>(item: T, description: string) => Type.Union([Type.Array(item), Type.Null()], { description })

/** Docker's SystemDataUsageResponse in API 1.44's shape. */
export const DiskUsageResponse = Type.Object({
  LayersSize: Type.Integer({ description: 'Bytes of every stored image layer' }),
  Images: orNullList(ImageSummary, 'With SharedSize (bytes of its layers another image uses too) and Containers (how many use it); null when `type` leaves images out'),
  Containers: orNullList(ContainerSummary, 'With SizeRw and SizeRootFs; null when `type` leaves containers out'),
  Volumes: orNullList(Type.Ref('Volume'), 'With UsageData (Size in bytes, -1 for a DriverOpts volume; RefCount, the containers using it); null when `type` leaves volumes out'),
  BuildCache: orNullList(Type.Object({}), 'Always empty: berth does not build')
}, { description: 'Disk usage' })

export const DiskUsageQuery = Type.Object({
  type: Type.Optional(Type.Array(Type.String(), { description: 'Repeatable: container, image, volume, build-cache; the parts to compute (API 1.42+); all when absent' }))
})

/** Content types tar bodies come with (any other is accepted too). */
export const TAR_TYPES = ['application/x-tar', 'application/tar', 'text/plain']

/** A path a client names in a container: a C string (no NUL byte) within PATH_MAX. */
const ContainerPath = (description: string) => Type.String({ minLength: 1, maxLength: 4095, pattern: '^[^\\u0000]*$', description })

export const ArchiveQuery = Type.Object({
  path: ContainerPath('A path in the container, resolved inside its root filesystem: symlinks are followed as if chrooted there (the last one is not), `..` stops at the root. A trailing `/.` means the dir\'s contents.')
})

export const ArchivePutQuery = Type.Object({
  path: ContainerPath('A dir in the container to extract into; every symlink on the way, the last one too, is followed inside the container\'s root filesystem'),
  noOverwriteDirNonDir: Type.Optional(Type.String({ description: 'Docker boolean: refuse an entry that would replace a dir with a non-dir or the reverse' })),
  copyUIDGID: Type.Optional(Type.String({ description: 'Docker boolean: own every extracted entry by the container\'s User (resolved in its /etc/passwd) instead of the archive\'s uid and gid' }))
})

/** The header docker cp reads for the stat of a path in a container. */
export const PATH_STAT_HEADER = 'X-Docker-Container-Path-Stat'

const pathStatHeaders = {
  [PATH_STAT_HEADER]: Type.String({ description: 'Base64 of the JSON {"name", "size", "mode", "mtime", "linkTarget"}: `mode` is a Go os.FileMode (type in the top bits: dir 1<<31, symlink 1<<27, device 1<<26, named pipe 1<<25, socket 1<<24, setuid 1<<23, setgid 1<<22, char device 1<<21, sticky 1<<20; permissions in the low nine), `mtime` RFC 3339 with nanoseconds, `linkTarget` a symlink\'s target resolved in the container' })
}

/** HEAD archive's 200: no body, the stat in the header. */
export const PathStatResponse = { ...Type.Null({ description: 'The path exists; its stat is in the header' }), headers: pathStatHeaders }

const tarBody = Type.Unsafe<NodeJS.ReadableStream>({ type: 'string', format: 'binary' })

/** GET archive's 200. */
export const ArchiveResponse = {
  ...Type.Unsafe<NodeJS.ReadableStream>({ type: 'string', description: 'A tar of the path: a dir as `<name>/` and what is under it, anything else as the one entry `<name>`, where name is the last element of the path asked for; symlinks stay symlinks' }),
  headers: pathStatHeaders,
  content: { 'application/x-tar': { schema: tarBody } }
}

/** GET export's 200. */
export const ExportResponse = {
  ...Type.Unsafe<NodeJS.ReadableStream>({ type: 'string', description: 'A tar of the container\'s whole root filesystem, names relative to its root' }),
  content: { 'application/x-tar': { schema: tarBody } }
}

export const CommitQuery = Type.Object({
  container: Type.String({ minLength: 1, maxLength: 254, description: 'The container: full id, name, or unique id prefix' }),
  repo: Type.Optional(Type.String({ description: 'Repository to tag the new image as; may carry a tag' })),
  tag: Type.Optional(Type.String()),
  comment: Type.Optional(Type.String({ description: 'The image\'s comment, and its history entry\'s' })),
  author: Type.Optional(Type.String()),
  pause: Type.Optional(Type.String({ description: 'Docker boolean, default true: freeze a running container while its layer is read' })),
  changes: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description: 'Dockerfile instructions applied to the config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR (repeatable, or one per line)' })),
  platform: Type.Optional(Type.String())
})

const NullableStrings = Type.Optional(Type.Union([Type.Null(), Type.Array(Type.String())]))
const NullableString = Type.Optional(Type.Union([Type.Null(), Type.String()]))
const NullableMap = Type.Optional(Type.Union([Type.Null(), Type.Record(Type.String(), Type.Object({}))]))

export const CommitBody = Type.Union([Type.Null(), Type.Object({
  Cmd: NullableStrings,
  Entrypoint: NullableStrings,
  Env: NullableStrings,
  WorkingDir: NullableString,
  User: NullableString,
  Labels: Type.Optional(Type.Union([Type.Null(), Labels])),
  ExposedPorts: NullableMap,
  Volumes: NullableMap,
  StopSignal: NullableString,
  Healthcheck: Type.Optional(Type.Union([Type.Null(), Healthcheck]))
})], { description: 'Optional: Docker\'s container Config for the image. When given it replaces the container\'s, and its empty fields are filled from the container\'s; other Config fields are accepted and ignored.' })

export const CommitResponse = Type.Object({
  Id: Type.String({ pattern: '^sha256:[0-9a-f]{64}$' })
}, { description: 'The new image', examples: [{ Id: 'sha256:4fa6e0f0c6786287e131c3852c58a2e01cc697a68231826813597e4994f1d6e2' }] })

// ------------------------------------------------------------------ volumes

/** Docker's Volume (moby api/types/volume.Volume). */
export const Volume = Type.Object({
  CreatedAt: Type.String({ description: 'RFC 3339, to the second' }),
  Driver: Type.String({ description: 'Always `local`' }),
  Labels: Labels,
  Mountpoint: Type.String({ description: 'The host dir containers bind: <root>/volumes/<name>/_data' }),
  Name: Type.String(),
  Options: Type.Union([Type.Null(), Type.Record(Type.String(), Type.String())], { description: 'The DriverOpts it was created with; null when none' }),
  Scope: Type.String({ description: 'Always `local`' }),
  UsageData: Type.Optional(Type.Object({ Size: Type.Integer(), RefCount: Type.Integer() }, { description: 'Only in /system/df' }))
}, { $id: 'Volume', description: 'A volume' })

export const VolumeParams = Type.Object({ name: Type.String({ description: 'The volume\'s name', maxLength: 254 }) })

export const VolumeListResponse = Type.Object({
  Volumes: Type.Array(Type.Ref('Volume')),
  Warnings: Type.Array(Type.String())
}, { description: 'The volumes, by name' })

export const VolumeCreateBody = Type.Object({
  Name: Type.Optional(Type.String({ description: 'A name matching [a-zA-Z0-9][a-zA-Z0-9_.-]+; 64 random hex digits when absent' })),
  Driver: Type.Optional(Type.String({ description: '`local` (or empty)' })),
  DriverOpts: Type.Optional(Type.Union([Type.Null(), Type.Record(Type.String(), Type.String())], { description: 'type, device and o: mounted (mount -t type -o o device) on the volume\'s dir at its first use, unmounted when no container uses it' })),
  Labels: Type.Optional(Type.Union([Type.Null(), Type.Record(Type.String(), Type.String())]))
}, { description: 'Docker\'s VolumeCreateOptions. Unknown fields (ClusterVolumeSpec) are ignored.' })

export const VolumePruneResponse = Type.Object({
  VolumesDeleted: Type.Union([Type.Null(), Type.Array(Type.String())]),
  SpaceReclaimed: Type.Integer()
}, { description: 'The volumes removed and the bytes they held' })
