/** What the network tests share: busybox containers started, run and exec'ed through the API, a free port, httpd and a GET by name. */
import { hijack, type Daemon } from './helpers.js'

/** Creates and starts a busybox container; returns its id. */
export async function start (d: Daemon, name: string, cmd: string[], hostConfig: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<string> {
  const c = await d.req('POST', `/containers/create?name=${name}`, { Image: 'bb', Cmd: cmd, Tty: true, HostConfig: hostConfig, ...extra })
  if (c.status !== 201) throw new Error(`create ${name}: ${c.status} ${JSON.stringify(c.body)}`)
  const s = await d.req('POST', `/containers/${c.body.Id as string}/start`)
  if (s.status !== 204) throw new Error(`start ${name}: ${s.status} ${JSON.stringify(s.body)}`)
  return c.body.Id
}

/** Runs a busybox command to its end; gives its exit code and output (a tty: the log is the output as is). */
export async function runOnce (d: Daemon, cmd: string[], hostConfig: Record<string, unknown> = {}): Promise<{ code: number, out: string }> {
  const id = await start(d, `once${Math.random().toString(36).slice(2, 8)}`, cmd, hostConfig)
  const w = await d.req('POST', `/containers/${id}/wait`)
  const logs = await d.req('GET', `/containers/${id}/logs?stdout=1&stderr=1`)
  await d.req('DELETE', `/containers/${id}?force=1`)
  return { code: w.body.StatusCode, out: logs.raw.toString() }
}

/** Runs `cmd` in running container `id`; gives its output (a tty). */
export async function execOut (d: Daemon, id: string, cmd: string[]): Promise<string> {
  const ex = await d.req('POST', `/containers/${id}/exec`, { Cmd: cmd, AttachStdout: true, Tty: true })
  return (await (await hijack(d, `/exec/${ex.body.Id as string}/start`, { Detach: false, Tty: true })).output).toString()
}

/** A port on 127.0.0.1 nothing listens on now. */
export { freePort } from './helpers.js'

export const HTTPD = ['httpd', '-f', '-p', '80', '-h', '/etc']
/** GET /hostname from `host` port 80 with busybox nc (busybox-static's wget crashes in its resolver here); fails when the name does not resolve. */
export const httpGet = (host: string): string[] => ['sh', '-c', `printf 'GET /hostname HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${host} 80`]
