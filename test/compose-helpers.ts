/**
 * What the Compose suites share (compose.test.ts, compose-build.test.ts):
 * the Compose they drive, the stack file, a project per test with a
 * teardown that downs it, and a test that fails plainly without Compose.
 */
import type { Test } from 'tap'
import { execa } from 'execa'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { dockerEnv, type Daemon } from './helpers.js'

/** The Compose the tests drive; scripts/setup.sh installs it. */
export const COMPOSE = process.env.BERTH_TEST_COMPOSE ?? '/usr/bin/docker-compose'

/** The stack as a Compose file (JSON is YAML); `version` picks the file format, 2.4 for depends_on conditions. */
export function stackFile (o: { port: number, subnet: string, dbVersion?: string, health?: boolean }): string {
  const db: Record<string, unknown> = {
    image: 'bb',
    command: ['sh', '-c', `echo row >> /data/rows; echo db up ${o.dbVersion ?? 'v1'}; exec sleep 1000`],
    volumes: ['dbdata:/data'],
    networks: ['app']
  }
  if (o.health === true) db.healthcheck = { test: ['CMD', 'test', '-s', '/data/rows'], interval: '1s', timeout: '2s', retries: 3 }
  return JSON.stringify({
    version: '2.4',
    services: {
      web: {
        image: 'bb',
        command: ['sh', '-c', 'mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www'],
        ports: [`127.0.0.1:${o.port}:8080`],
        networks: ['app']
      },
      db,
      worker: {
        image: 'bb',
        command: ['sh', '-c', 'while true; do wget -q -O - http://web:8080/ && echo worker-got-it; sleep 1; done'],
        depends_on: o.health === true ? { db: { condition: 'service_healthy' } } : ['db'],
        networks: ['app']
      }
    },
    networks: { app: { ipam: { config: [{ subnet: o.subnet }] } } },
    volumes: { dbdata: {} }
  }, null, 2)
}

/** A project of its own on `d`, with a runner for docker-compose and a teardown that downs it whatever happened. */
export async function composeProject (t: Test, d: Daemon, name: string) {
  const dir = join(d.dir, name)
  await mkdir(dir, { recursive: true })
  const file = join(dir, 'docker-compose.yml')
  const project = `${name}${Math.random().toString(36).slice(2, 8)}`
  const compose = (args: string[], timeout = 120_000, env: Record<string, string> = {}) =>
    execa(COMPOSE, ['-p', project, '-f', file, ...args], { cwd: dir, env: { ...dockerEnv(d), ...env }, input: '', reject: false, timeout, killSignal: 'SIGKILL' })
  // Registered after startDaemon's teardown, so it runs first, with the daemon still up.
  t.teardown(async () => { await compose(['down', '-v', '-t', '1']) })
  return { dir, file, project, compose }
}

export const projectFilter = (project: string): string => encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${project}`] }))

export function composeTest (t: Test, name: string, fn: (t: Test) => Promise<void>): Promise<unknown> {
  return t.test(name, async t => {
    if (!existsSync(COMPOSE)) {
      t.fail(`no docker-compose at ${COMPOSE}: run scripts/setup.sh as root, which installs Debian's docker-compose, or set BERTH_TEST_COMPOSE`)
      return
    }
    await fn(t)
  })
}
