/** System routes: ping, version, info, registry login, and the OpenAPI document. */
import { readdirSync, readFileSync } from 'node:fs'
import { arch, cpus, hostname, release, totalmem } from 'node:os'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { diskUsage } from '../../containers/disk-usage.js'
import type { ContainerManager } from '../../containers/manager.js'
import type { EventBus } from '../../events/bus.js'
import { authConfig } from '../../registry/auth.js'
import { login } from '../../registry/login.js'
import { registryHosts, registryInfo } from '../../registry/pull.js'
import { API_VERSION, MIN_API_VERSION } from '../docker.js'
import * as S from '../schemas.js'
import { ROOTLESS_INFO } from '../../security/rootless.js'

/** Versions found at start-up: berth's own, and of the programs it drives. */
export interface Versions { berth: string, conmon: string, runtimes: Record<string, string> }

const tags = ['System']
/** A one-line file's text, '' when it cannot be read. */
const readLine = (path: string): string => { try { return readFileSync(path, 'utf8').trim() } catch { return '' } }
/** The host's OS version as /etc/os-release gives it (VERSION_ID), as Docker reports it. */
const osVersion = (): string => /^VERSION_ID="?([^"\n]*)"?$/m.exec(readLine('/etc/os-release'))?.[1] ?? ''
const goArch = (): string => ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' } as Record<string, string>)[arch()] ?? arch()

export const systemRoutes: FastifyPluginAsyncTypebox<{ manager: ContainerManager, versions: Versions, events: EventBus }> = async (app, { manager, versions, events }) => {
  app.get('/_ping', {
    schema: {
      tags, operationId: 'SystemPing', summary: 'Ping the daemon',
      description: 'Answers OK with the headers clients negotiate with: Api-Version, OSType, Docker-Experimental. HEAD answers the same headers with no body.',
      response: { 200: { description: 'OK', content: { 'text/plain': { schema: Type.String({ examples: ['OK'] }) } } }, ...S.errors() }
    }
  }, async (_req, reply) => reply
    .header('Content-Type', 'text/plain; charset=utf-8')
    .header('Cache-Control', 'no-cache, no-store, must-revalidate')
    .header('Pragma', 'no-cache')
    .header('Docker-Experimental', 'false')
    .header('Builder-Version', '')
    .header('Swarm', 'inactive')
    .send('OK'))

  const details = { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: goArch(), KernelVersion: release() }
  app.get('/version', {
    schema: { tags, operationId: 'SystemVersion', summary: 'Versions of berthd and of the programs it drives', response: { 200: S.VersionResponse, ...S.errors() } }
  }, async () => ({
    Platform: { Name: 'berth' },
    Version: versions.berth,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: release(),
    BuildTime: '',
    Experimental: false,
    Components: [
      { Name: 'Engine', Version: versions.berth, Details: details },
      { Name: 'conmon', Version: versions.conmon, Details: {} },
      ...Object.entries(versions.runtimes).map(([name, v]) => ({ Name: name, Version: v, Details: {} }))
    ]
  }))

  app.get('/system/df', {
    schema: {
      tags, operationId: 'SystemDataUsage', summary: 'Disk usage of images, containers, volumes and build cache',
      querystring: S.DiskUsageQuery,
      response: { 200: S.DiskUsageResponse, ...S.errors(400) }
    }
  }, async req => await diskUsage(manager, req.query.type))

  const os = osVersion()
  app.get('/info', {
    schema: { tags, operationId: 'SystemInfo', summary: 'System-wide information', response: { 200: S.InfoResponse, ...S.errors() } }
  }, async () => {
    const recs = manager.list()
    const count = (s: string): number => recs.filter(r => r.status === s).length
    const commit = { ID: '', Expected: '' }
    const rootless = manager.config.rootless
    // Rootless containers get no cgroup (security/rootless.ts), so no limits.
    const limits = !rootless && (manager.cgroupVersion === '2' || manager.cgroupVersion === '1')
    return {
      ID: '',
      Containers: recs.length,
      ContainersRunning: count('running'),
      ContainersPaused: count('paused'),
      ContainersStopped: recs.length - count('running') - count('paused'),
      Images: manager.images.list().length,
      // Image containers' root filesystems are overlays (bundle containers bring their own).
      Driver: 'overlay2',
      DriverStatus: [],
      // Docker's under --userns-remap: the <uid>.<gid> dir under the root (berth keeps the shifted layers there).
      DockerRootDir: manager.remap?.dir ?? manager.config.root,
      Plugins: { Volume: ['local'], Network: ['host', 'null'], Authorization: null, Log: ['json-file', 'k8s-file'] },
      // The resource limits berth sets through the container's cgroup.
      MemoryLimit: limits,
      SwapLimit: limits,
      KernelMemory: false,
      CpuCfsPeriod: limits,
      CpuCfsQuota: limits,
      CPUShares: limits,
      CPUSet: limits,
      PidsLimit: limits,
      OomKillDisable: false,
      IPv4Forwarding: readLine('/proc/sys/net/ipv4/ip_forward') === '1',
      BridgeNfIptables: false,
      BridgeNfIp6tables: false,
      Debug: manager.config.logLevel === 'debug' || manager.config.logLevel === 'trace',
      NFd: readdirSync('/proc/self/fd').length,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: 'json-file',
      CgroupDriver: rootless ? ROOTLESS_INFO.cgroupDriver : 'cgroupfs',
      CgroupVersion: manager.cgroupVersion,
      NEventsListener: events.listeners,
      KernelVersion: release(),
      OperatingSystem: 'linux',
      OSVersion: os,
      OSType: 'linux',
      Architecture: arch() === 'x64' ? 'x86_64' : arch(),
      NCPU: cpus().length,
      MemTotal: totalmem(),
      IndexServerAddress: '',
      RegistryConfig: registryInfo(registryHosts(manager.config)),
      GenericResources: null,
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: hostname(),
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: versions.berth,
      ClusterStore: '',
      ClusterAdvertise: '',
      Runtimes: Object.fromEntries(Object.values(manager.config.runtimes).map(r => [r.name, { path: r.path }])),
      DefaultRuntime: manager.config.defaultRuntime,
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      // Each container has its own monitor: containers run on while berthd restarts.
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: 'docker-init',
      ContainerdCommit: commit,
      RuncCommit: commit,
      InitCommit: commit,
      // Docker's order (moby fillSecurityOptions); no AppArmor or SELinux: berth applies neither.
      SecurityOptions: [`name=seccomp,profile=${manager.seccomp.setting}`, ...(rootless ? [ROOTLESS_INFO.securityOption] : []), ...(manager.remap !== undefined ? ['name=userns'] : []), ...(manager.cgroupVersion === '2' ? ['name=cgroupns'] : [])],
      ProductLicense: '',
      DefaultAddressPools: [],
      Warnings: [...(manager.seccomp.setting === 'builtin' ? [] : ['WARNING: daemon is not using the default seccomp profile']), ...(rootless ? [ROOTLESS_INFO.warning] : [])],
      CDISpecDirs: []
    }
  })

  app.post('/auth', {
    schema: {
      tags, operationId: 'SystemAuth', summary: 'Check registry credentials (docker login)',
      description: 'The credentials are tried on the registry\'s /v2/ as its challenge asks (Basic, or a Bearer token its realm gives for them), reached as a pull reaches it (insecure registries, `certs.d`), never through a mirror. berthd keeps nothing: the client stores the credentials and sends them in X-Registry-Auth with each pull and push. Refused credentials are a 401 with the registry\'s reason.',
      body: S.AuthRequest,
      response: { 200: S.AuthResponse, ...S.errors(401) }
    }
  }, async (req) => {
    const creds = authConfig(req.body)
    const { IdentityToken } = await login(creds, req.body.serveraddress, registryHosts(manager.config))
    return { Status: 'Login Succeeded', IdentityToken }
  })

  app.get('/openapi.json', {
    schema: { tags, operationId: 'OpenApiDocument', summary: 'This API\'s OpenAPI document', response: { 200: Type.Object({}, { additionalProperties: true, description: 'OpenAPI 3 document' }), ...S.errors() } }
  }, async () => app.swagger())
}
