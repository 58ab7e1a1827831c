/**
 * The TypeBox schema of Docker's `POST /containers/create` body (Config with
 * HostConfig and NetworkingConfig inline), as moby's api/types/container
 * defines it for API 1.44–1.50. It lives below the API layer so that
 * containers/dockerspec.ts can take its Static type; src/api/schemas.ts
 * re-exports it for the routes.
 *
 * The docker CLI sends every key, mostly zero-valued (62 HostConfig keys);
 * SDKs send only what they set. Go's nil slices and maps arrive as `null`, so
 * every field is optional and nullable. Unknown fields are allowed, as Docker
 * ignores them. What berth does not support is refused by
 * `checkCreateBody`, not here, so that the message names the field.
 */
import { Type, type Static, type TSchema } from 'typebox'

/**
 * `s` or null, as one JSON Schema `type` list rather than anyOf: fastify's ajv
 * coerces types (coerceTypes: 'array'), and within anyOf a failed branch's
 * coercion sticks, so null became [""] and a one-element array of objects was
 * unwrapped into the object. With a type list, a value of any listed type is
 * left alone.
 */
export const orNull = <T extends TSchema>(s: T, description?: string) =>
  Type.Unsafe<Static<T> | null>({ ...s, type: [(s as { type?: string }).type!, 'null'], ...(description === undefined ? {} : { description }) })
const nullable = <T extends TSchema>(s: T, description?: string) => Type.Optional(orNull(s, description))
const Str = (description?: string) => nullable(Type.String(), description)
const Bool = (description?: string) => nullable(Type.Boolean(), description)
/**
 * Docker's int64 fields, bounded to what a JS number holds exactly: beyond it
 * (1e308, 2^53) the value would reach the runtime rounded or as a float it
 * cannot read.
 */
export const SafeInteger = (options: { minimum?: number } = {}) =>
  Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, ...options })
const Int = (description?: string) => nullable(SafeInteger(), description)
const Strings = (description?: string) => nullable(Type.Array(Type.String()), description)
const StringMap = (description?: string) => nullable(Type.Record(Type.String(), Type.String()), description)
const Empty = Type.Record(Type.String(), Type.Unknown())

/** Docker's StrSlice: a JSON string is a one-element list. */
const StrSlice = (description: string) => Type.Optional(Type.Unsafe<string[] | string | null>({ type: ['array', 'string', 'null'], items: { type: 'string' }, description }))

const ThrottleDevices = orNull(Type.Array(Type.Object({ Path: Type.Optional(Type.String()), Rate: Type.Optional(SafeInteger()) })))

const Mount = Type.Object({
  Type: Type.Optional(Type.String({ description: '`bind`, `volume` or `tmpfs` (`image`, `npipe`, `cluster` are refused)' })),
  Source: Str(),
  Target: Str(),
  ReadOnly: Bool(),
  Consistency: Str('Ignored on Linux'),
  BindOptions: nullable(Type.Object({
    Propagation: Str(),
    NonRecursive: Bool(),
    CreateMountpoint: Bool(),
    ReadOnlyNonRecursive: Bool(),
    ReadOnlyForceRecursive: Bool()
  })),
  VolumeOptions: nullable(Type.Object({
    NoCopy: Bool('Leave the image\'s content at Target out of a new, empty volume'),
    Labels: StringMap('Labels of the volume, when this mount creates it'),
    DriverConfig: nullable(Type.Object({ Name: Str('`local` or empty'), Options: StringMap('The local driver\'s options (type, device, o), when this mount creates the volume') })),
    Subpath: Str('Refused: berth mounts whole volumes')
  })),
  ImageOptions: nullable(Empty),
  TmpfsOptions: nullable(Type.Object({
    SizeBytes: Int(),
    Mode: Int('File mode as a number, e.g. 1023 for 01777'),
    Options: nullable(Type.Array(Type.Array(Type.String())))
  }))
})

const HostConfig = Type.Object({
  Binds: Strings('`/host/path:/container/path[:ro|rw|z|Z|propagation,...]`; named volumes are refused'),
  ContainerIDFile: Str('Client-side only'),
  LogConfig: nullable(Type.Object({ Type: Str(), Config: StringMap() })),
  NetworkMode: Str('`default` or `bridge` (the default bridge), `none`, `host`, `container:<name|id>`, or a network\'s name or id'),
  PortBindings: nullable(Type.Record(Type.String(), orNull(Type.Array(Type.Object({ HostIp: Str(), HostPort: Str() }))))),
  RestartPolicy: nullable(Type.Object({ Name: Str(), MaximumRetryCount: Int() }), '`no`, `always`, `unless-stopped` or `on-failure` (with MaximumRetryCount, 0: no limit); not with AutoRemove'),
  AutoRemove: Bool(),
  VolumeDriver: Str(),
  VolumesFrom: Strings(),
  ConsoleSize: nullable(Type.Array(Type.Integer({ minimum: 0 }), { minItems: 2, maxItems: 2 }), '[height, width]'),
  Annotations: StringMap('Passed to the runtime as OCI annotations'),
  CapAdd: StrSlice('Capabilities to add: `NET_ADMIN`, `CAP_NET_ADMIN` or `ALL`'),
  CapDrop: StrSlice('Capabilities to drop'),
  CgroupnsMode: Str('`private` or `host`'),
  Dns: Strings(),
  DnsOptions: Strings(),
  DnsSearch: Strings(),
  ExtraHosts: Strings('`name:ip` lines added to /etc/hosts'),
  GroupAdd: Strings('Supplementary groups: gids, or names from the image\'s /etc/group'),
  IpcMode: Str('`private`, `shareable`, `none` or `host`'),
  Cgroup: Str(),
  Links: Strings(),
  OomScoreAdj: Int(),
  PidMode: Str('empty, `host` or `container:<name or id>` (a running container)'),
  Privileged: Bool(),
  PublishAllPorts: Bool(),
  ReadonlyRootfs: Bool(),
  SecurityOpt: Strings('`no-new-privileges[=true|false]`; `seccomp=unconfined|builtin|<profile JSON>` (the docker CLI sends a file\'s JSON); `apparmor=unconfined` and `label=disable` (berth applies neither AppArmor nor SELinux)'),
  StorageOpt: StringMap(),
  Tmpfs: StringMap('Mount point → tmpfs options, e.g. `{"/run": "size=64m,mode=1777"}`'),
  UTSMode: Str('empty or `host`'),
  UsernsMode: Str(),
  ShmSize: Int('Bytes; 0 is 64 MiB'),
  Sysctls: StringMap('Namespaced sysctls only'),
  Runtime: Str(),
  Isolation: Str(),
  CpuShares: Int(),
  Memory: Int('Bytes'),
  NanoCpus: Int('CPU quota in billionths of a CPU'),
  CgroupParent: Str('The cgroup the container is made under (`<CgroupParent>/<id>`); default `/berth`'),
  BlkioWeight: Int(),
  BlkioWeightDevice: nullable(Type.Array(Type.Object({ Path: Type.Optional(Type.String()), Weight: Type.Optional(SafeInteger()) }))),
  BlkioDeviceReadBps: Type.Optional(ThrottleDevices),
  BlkioDeviceWriteBps: Type.Optional(ThrottleDevices),
  BlkioDeviceReadIOps: Type.Optional(ThrottleDevices),
  BlkioDeviceWriteIOps: Type.Optional(ThrottleDevices),
  CpuPeriod: Int(),
  CpuQuota: Int(),
  CpuRealtimePeriod: Int(),
  CpuRealtimeRuntime: Int(),
  CpusetCpus: Str(),
  CpusetMems: Str(),
  Devices: nullable(Type.Array(Type.Object({ PathOnHost: Str(), PathInContainer: Str(), CgroupPermissions: Str() }))),
  DeviceCgroupRules: Strings('e.g. `c 1:3 mr`'),
  DeviceRequests: nullable(Type.Array(Empty)),
  KernelMemory: Int(),
  KernelMemoryTCP: Int(),
  MemoryReservation: Int(),
  MemorySwap: Int('Memory plus swap, bytes; 0 is twice Memory, -1 unlimited'),
  MemorySwappiness: Int(),
  OomKillDisable: Bool(),
  PidsLimit: Int('0 or -1: unlimited'),
  Ulimits: nullable(Type.Array(Type.Object({ Name: Type.String(), Soft: SafeInteger(), Hard: SafeInteger() })), 'A negative Soft or Hard is unlimited'),
  CpuCount: Int(),
  CpuPercent: Int(),
  IOMaximumIOps: Int(),
  IOMaximumBandwidth: Int(),
  Mounts: nullable(Type.Array(Mount)),
  MaskedPaths: Strings('Replaces the default list; null keeps it'),
  ReadonlyPaths: Strings('Replaces the default list; null keeps it'),
  Init: Bool('Run an init (tini or catatonit) as PID 1')
}, { description: 'Docker\'s HostConfig; unknown fields are ignored' })

const EndpointSettings = Type.Object({
  IPAMConfig: nullable(Empty),
  Links: Strings(),
  Aliases: Strings(),
  MacAddress: Str(),
  DriverOpts: StringMap(),
  GwPriority: Int(),
  NetworkID: Str(),
  EndpointID: Str(),
  Gateway: Str(),
  IPAddress: Str(),
  IPPrefixLen: Int(),
  IPv6Gateway: Str(),
  GlobalIPv6Address: Str(),
  GlobalIPv6PrefixLen: Int(),
  DNSNames: Strings()
})

const HealthConfig = Type.Object({
  Test: Strings(),
  Interval: Int(),
  Timeout: Int(),
  StartPeriod: Int(),
  StartInterval: Int(),
  Retries: Int()
})

/** Docker's create body: the container Config with HostConfig and NetworkingConfig. */
export const DockerCreateBody = Type.Object({
  Hostname: Str(),
  Domainname: Str(),
  User: Str('uid, uid:gid, name or name:group, resolved in the image'),
  AttachStdin: Bool(),
  AttachStdout: Bool(),
  AttachStderr: Bool(),
  ExposedPorts: nullable(Empty),
  Tty: Bool(),
  OpenStdin: Bool(),
  StdinOnce: Bool(),
  Env: Strings('`KEY=value`; a bare `KEY` removes it'),
  Cmd: StrSlice('Replaces the image\'s Cmd'),
  Healthcheck: nullable(HealthConfig, 'Test `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`; durations in ns (0: Docker\'s default); merged over the image\'s'),
  ArgsEscaped: Bool('Windows only; ignored'),
  Image: Type.Optional(Type.String()),
  Volumes: nullable(Empty),
  WorkingDir: Str(),
  Entrypoint: StrSlice('Replaces the image\'s Entrypoint (and drops its Cmd); `[""]` clears it'),
  NetworkDisabled: Bool(),
  MacAddress: Str(),
  OnBuild: Strings('Image build metadata; ignored'),
  Labels: StringMap(),
  StopSignal: Str(),
  StopTimeout: Int(),
  Shell: Strings('Image build metadata; ignored'),
  HostConfig: nullable(HostConfig),
  NetworkingConfig: nullable(Type.Object({ EndpointsConfig: nullable(Type.Record(Type.String(), orNull(EndpointSettings))) }))
}, { description: 'Docker\'s container create body. Unknown fields are ignored, as Docker ignores them; fields berth cannot honour are refused with 400 naming the field, unless zero-valued.' })

export type DockerCreateBody = Static<typeof DockerCreateBody>
export type DockerHostConfig = Static<typeof HostConfig>
export type DockerMount = Static<typeof Mount>

// ---------------------------------------------------------------- zero values
// The docker CLI sends every key, mostly zero: what berth cannot honour is refused only when not zero.

/** Go's zero value, deeply: undefined, null, "", 0, false, and lists and objects holding only zeros. */
export function isZero (v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true
  if (Array.isArray(v)) return v.every(isZero)
  if (typeof v === 'object') return Object.values(v).every(isZero)
  return false
}

export const list = <T>(v: T[] | null | undefined): T[] => v ?? []
export const str = (v: string | null | undefined): string => v ?? ''
export const num = (v: number | null | undefined): number => v ?? 0
