#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * berthd's entry point: the only place that reads the config, listens, and
 * handles signals. Stopping berthd never stops containers: their monitors
 * own them.
 */
import { connect } from 'node:net'
import { chmod, lstat, mkdir, readFile, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { execa } from 'execa'
import { pino } from 'pino'
import { loadConfig, ConfigError, type Config } from './config.js'
import { ContainerManager } from './containers/manager.js'
import { ImageStore } from './images/store.js'
import { Layout } from './store/layout.js'
import { EventBus } from './events/bus.js'
import { buildApp } from './api/app.js'
import { loadDaemonSeccomp, type DaemonSeccomp } from './security/seccomp.js'

const GRACE_MS = 2000

/** True when something answers on the Unix socket at `path`. */
function socketAnswers (path: string): Promise<boolean> {
  return new Promise(resolve => {
    const s = connect(path)
    const done = (v: boolean): void => { s.destroy(); resolve(v) }
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
    setTimeout(() => done(false), 1000).unref()
  })
}

/** Replaces a stale socket file; refuses when a live daemon answers on it. */
async function claimSocket (path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 })
  const st = await lstat(path).catch(() => undefined)
  if (st === undefined) return
  if (!st.isSocket()) throw new ConfigError(`${path} exists and is not a socket; refusing to replace it`)
  if (await socketAnswers(path)) throw new ConfigError(`another berthd is already serving on ${path}; stop it first or pass --socket`)
  await rm(path, { force: true })
}

async function versionOf (bin: string): Promise<string> {
  const r = await execa(bin, ['--version'], { reject: false, timeout: 10_000 })
  return (/\d+\.\d+(\.\d+)?/.exec(r.stdout)?.[0]) ?? 'unknown'
}

async function main (): Promise<void> {
  let config: Readonly<Config>
  let seccomp: DaemonSeccomp
  try {
    config = loadConfig(process.argv.slice(2), process.env)
    seccomp = loadDaemonSeccomp(config.seccompProfile)
  } catch (err) {
    process.stderr.write(`berthd: ${(err as Error).message}\n`)
    process.exit(err instanceof ConfigError ? 2 : 1)
  }
  const log = pino({ level: config.logLevel, base: { pid: process.pid } }, pino.destination(2))
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  try {
    await claimSocket(config.socket)
  } catch (err) {
    log.fatal({ socket: config.socket }, (err as Error).message)
    process.stderr.write(`berthd: ${(err as Error).message}\n`)
    process.exit(1)
  }
  // The version probes run while containers are re-loaded.
  const runtimes: Record<string, string> = {}
  const probes = Promise.all([
    ...Object.values(config.runtimes).map(async r => { runtimes[r.name] = await versionOf(r.path) }),
    versionOf(config.conmon)
  ])
  // An image is in use while a container made from it exists: the store asks the manager.
  const layout = new Layout(config.root, config.state)
  const events = new EventBus(layout.events, undefined, err => log.error({ err }, 'event journal write failed'))
  const images = new ImageStore(layout.images, log.child({ component: 'images' }), { isUsed: id => manager.imageUser(id), events })
  const manager: ContainerManager = new ContainerManager(config, log.child({ component: 'containers' }), images, { events, seccomp })
  await events.init()
  await images.init()
  await manager.init()
  const versions = { berth: pkg.version, conmon: (await probes).at(-1) as string, runtimes }
  const app = await buildApp({ manager, images, events, versions, logger: log })
  await app.listen({ path: config.socket })
  await chmod(config.socket, 0o660)
  manager.serving()
  log.info({ socket: config.socket, runtime: config.defaultRuntime, root: config.root, state: config.state, seccomp: seccomp.setting }, 'berthd serving')

  let stopping = false
  const shutdown = (signal: string): void => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'berthd stopping; containers keep running')
    // Long requests (wait, logs with follow) get a short grace, then their connections are closed.
    const force = setTimeout(() => app.server.closeAllConnections(), GRACE_MS)
    force.unref()
    manager.close()
    app.close()
      .then(() => events.flush())
      .then(() => rm(config.socket, { force: true }))
      .then(() => { log.flush(); process.exit(0) }, (err: unknown) => { log.error({ err }, 'shutdown failed'); process.exit(1) })
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}

main().catch(err => {
  process.stderr.write(`berthd: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
