#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * berthd's entry point: the only place that reads the config, opens the
 * listeners (src/listeners.ts) and handles signals. Stopping berthd never
 * stops containers: their monitors own them.
 */
import { readFile } from 'node:fs/promises'
import { execa } from 'execa'
import { pino } from 'pino'
import { loadConfig, ConfigError, type Config } from './config.js'
import { ContainerManager } from './containers/manager.js'
import { ImageStore } from './images/store.js'
import { Builder } from './build/builder.js'
import { registryHosts } from './registry/pull.js'
import { Layout } from './store/layout.js'
import { EventBus } from './events/bus.js'
import { buildApp } from './api/app.js'
import { loadDaemonSeccomp, type DaemonSeccomp } from './security/seccomp.js'
import { hostUrl, prepareListeners, type Serving } from './listeners.js'
import { insideRootless, rootlessPortApi, runRootless } from './rootless.js'
import { setupUserns, type Userns } from './security/userns.js'
import { RemapLayers } from './images/remap-layers.js'
import { restoreDevNull } from './containers/remap.js'

const GRACE_MS = 2000

async function versionOf (bin: string): Promise<string> {
  const r = await execa(bin, ['--version'], { reject: false, timeout: 10_000 })
  return (/\d+\.\d+(\.\d+)?/.exec(r.stdout)?.[0]) ?? 'unknown'
}

async function main (): Promise<void> {
  let config: Readonly<Config>
  let seccomp: DaemonSeccomp
  let userns: Userns | undefined
  try {
    config = loadConfig(process.argv.slice(2), process.env)
    seccomp = loadDaemonSeccomp(config.seccompProfile)
    userns = config.usernsRemap === '' ? undefined : await setupUserns(config.usernsRemap)
  } catch (err) {
    process.stderr.write(`berthd: ${(err as Error).message}\n`)
    process.exit(err instanceof ConfigError ? 2 : 1)
  }
  // --rootless outside rootlesskit's namespaces: berthd runs again inside them.
  if (config.rootless && !insideRootless(process.env)) {
    process.exitCode = await runRootless(process.argv.slice(1), process.env).catch((err: Error) => { process.stderr.write(`berthd: ${err.message}\n`); return 1 })
    return
  }
  const log = pino({ level: config.logLevel, base: { pid: process.pid } }, pino.destination(2))
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  const fatal = (err: unknown): never => {
    log.fatal({ hosts: config.listeners.map(hostUrl) }, (err as Error).message)
    process.stderr.write(`berthd: ${(err as Error).message}\n`)
    process.exit(1)
  }
  const listen = await prepareListeners(config, log).catch(fatal)
  // The version probes run while containers are re-loaded.
  const runtimes: Record<string, string> = {}
  const probes = Promise.all([
    ...Object.values(config.runtimes).map(async r => { runtimes[r.name] = await versionOf(r.path) }),
    versionOf(config.conmon)
  ])
  // An image is in use while a container made from it exists, and until a removed one's clean-up is done: the store asks the manager.
  const layout = new Layout(config.root, config.state)
  const events = new EventBus(layout.events, undefined, err => log.error({ err }, 'event journal write failed'))
  const images: ImageStore = new ImageStore(layout.images, log.child({ component: 'images' }), { isUsed: id => manager.imageUser(id), settled: async () => { await manager.settled() }, events, collected: async (): Promise<void> => await remap?.sweep() })
  const remap: RemapLayers | undefined = userns === undefined ? undefined : new RemapLayers(config.root, images.paths.layers, userns, log.child({ component: 'userns' }))
  const manager: ContainerManager = new ContainerManager(config, log.child({ component: 'containers' }), images, { events, seccomp, ...(remap !== undefined ? { remap } : {}), ...(config.rootless ? { portDriver: rootlessPortApi(process.env) } : {}) })
  await events.init()
  await images.init()
  await remap?.init([layout.records, layout.volumes]).catch(fatal)
  // A berthd killed between a remapped crun create and the give-back left the host's /dev/null with the container's root.
  if (remap !== undefined) await restoreDevNull().catch(fatal)
  const builder = new Builder(images, log.child({ component: 'build' }), { dir: layout.build, runDir: layout.buildRun, contextMax: config.buildContextMax, hosts: () => registryHosts(config) })
  await builder.init()
  await manager.init()
  const versions = { berth: pkg.version, conmon: (await probes).at(-1) as string, runtimes }
  const app = await buildApp({ manager, images, builder, events, versions, logger: log })
  await app.ready()
  const serving: Serving = await listen(app.server).catch(fatal)
  manager.serving()
  log.info({ hosts: config.listeners.map(hostUrl), runtime: config.defaultRuntime, root: config.root, state: config.state, seccomp: seccomp.setting, userns: userns?.name }, 'berthd serving')

  let stopping = false
  const shutdown = (signal: string): void => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'berthd stopping; containers keep running')
    // Long requests (wait, logs with follow) get a short grace, then their connections are closed.
    const force = setTimeout(() => serving.closeAllConnections(), GRACE_MS)
    force.unref()
    manager.close()
    // Clean-ups and teardowns still running in the background are let finish (else the next start-up would), idle bridges removed.
    Promise.all([serving.close(), app.close(), manager.networks.close()])
      .then(() => events.flush())
      .then(() => { log.flush(); process.exit(0) }, (err: unknown) => { log.error({ err }, 'shutdown failed'); process.exit(1) })
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}

main().catch(err => {
  process.stderr.write(`berthd: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
