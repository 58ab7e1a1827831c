/** System routes: ping, version, info, and the OpenAPI document. */
import { arch, cpus, hostname, release, totalmem } from 'node:os'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { ContainerManager } from '../../containers/manager.js'
import { API_VERSION, MIN_API_VERSION } from '../docker.js'
import * as S from '../schemas.js'

/** Versions found at start-up: berth's own, and of the programs it drives. */
export interface Versions { berth: string, conmon: string, runtimes: Record<string, string> }

const tags = ['System']
const goArch = (): string => ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' } as Record<string, string>)[arch()] ?? arch()

export const systemRoutes: FastifyPluginAsyncTypebox<{ manager: ContainerManager, versions: Versions }> = async (app, { manager, versions }) => {
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

  app.get('/info', {
    schema: { tags, operationId: 'SystemInfo', summary: 'System-wide information', response: { 200: S.InfoResponse, ...S.errors() } }
  }, async () => {
    const recs = manager.list()
    const count = (s: string): number => recs.filter(r => r.status === s).length
    return {
      ID: '',
      Name: hostname(),
      Containers: recs.length,
      ContainersRunning: count('running'),
      ContainersPaused: count('paused'),
      ContainersStopped: recs.length - count('running') - count('paused'),
      Images: manager.images.list().length,
      // Image containers' root filesystems are overlays (bundle containers bring their own).
      Driver: 'overlay2',
      DockerRootDir: manager.config.root,
      OperatingSystem: 'linux',
      OSType: 'linux',
      Architecture: arch() === 'x64' ? 'x86_64' : arch(),
      KernelVersion: release(),
      NCPU: cpus().length,
      MemTotal: totalmem(),
      ServerVersion: versions.berth,
      CgroupDriver: 'cgroupfs',
      CgroupVersion: manager.cgroupVersion,
      DefaultRuntime: manager.config.defaultRuntime,
      Runtimes: Object.fromEntries(Object.values(manager.config.runtimes).map(r => [r.name, { path: r.path }])),
      InitBinary: 'docker-init',
      Swarm: { LocalNodeState: 'inactive' }
    }
  })

  app.get('/openapi.json', {
    schema: { tags, operationId: 'OpenApiDocument', summary: 'This API\'s OpenAPI document', response: { 200: Type.Object({}, { additionalProperties: true, description: 'OpenAPI 3 document' }), ...S.errors() } }
  }, async () => app.swagger())
}
