/** A complete container record for unit tests; tests override what they look at. */
import type { ContainerRecord } from '../../src/store/records.js'

export const record = (over: Partial<ContainerRecord> = {}): ContainerRecord => ({
  version: 1,
  id: 'abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789',
  name: 'web',
  created: '2024-01-02T03:04:05.5Z',
  bundle: '/bundles/web',
  runtime: 'crun',
  labels: { app: 'shop' },
  tty: true,
  openStdin: true,
  path: '/bin/sh',
  args: ['-c', 'echo hi'],
  env: ['PATH=/bin', 'A=1'],
  cwd: '/work',
  hostname: 'webhost',
  user: '1000:1000',
  status: 'running',
  pid: 4242,
  pidStart: 1,
  monitorPid: 4241,
  monitorStart: 1,
  exitCode: 0,
  error: '',
  oomKilled: false,
  startedAt: '2024-01-02T03:04:05Z',
  finishedAt: '0001-01-01T00:00:00Z',
  restartCount: 0,
  ...over
})

/**
 * What `docker run bb echo hi` (docker CLI 28.2, API 1.50) sends to
 * POST /containers/create: the full Config (17 keys), HostConfig with its 62
 * keys, nearly all zero, and NetworkingConfig's `default` endpoint.
 */
export const dockerCliBody = (): Record<string, any> => ({
  Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false, StdinOnce: false,
  Env: [], Cmd: ['echo', 'hi'], Image: 'bb', Volumes: {}, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: {},
  HostConfig: {
    Binds: null, ContainerIDFile: '', LogConfig: { Type: '', Config: {} }, NetworkMode: 'default', PortBindings: {},
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, VolumeDriver: '', VolumesFrom: null, ConsoleSize: [0, 0],
    CapAdd: null, CapDrop: null, CgroupnsMode: '', Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null, GroupAdd: null,
    IpcMode: '', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '', Privileged: false, PublishAllPorts: false, ReadonlyRootfs: false,
    SecurityOpt: null, UTSMode: '', UsernsMode: '', ShmSize: 0, Isolation: '', CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: '',
    BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [], BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [],
    CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0, CpusetCpus: '', CpusetMems: '', Devices: [],
    DeviceCgroupRules: null, DeviceRequests: null, MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null, OomKillDisable: false,
    PidsLimit: null, Ulimits: [], CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0, MaskedPaths: null, ReadonlyPaths: null
  },
  NetworkingConfig: {
    EndpointsConfig: {
      default: {
        IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, GwPriority: 0, NetworkID: '', EndpointID: '',
        Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null
      }
    }
  }
})
