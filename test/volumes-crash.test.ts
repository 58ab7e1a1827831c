/**
 * A volume's users across a berthd SIGKILL (issue 16): they are read from the
 * container records, so a restarted berthd still refuses to remove a volume
 * a container uses, and removes it once that container is gone. A DriverOpts
 * mount whose last user went while berthd was down is undone at start-up.
 */
import t from 'tap'
import { readFile, rm } from 'node:fs/promises'
import { importBusybox, startDaemon, type Daemon } from './helpers.js'

const mounted = async (path: string): Promise<boolean> => (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').some(l => l.split(' ')[4] === path)

async function started (d: Daemon, body: Record<string, unknown>): Promise<string> {
  const c = await d.req('POST', '/containers/create', { Image: 'bb', ...body })
  if (c.status !== 201) throw new Error(`create: ${c.status} ${JSON.stringify(c.body)}`)
  const s = await d.req('POST', `/containers/${c.body.Id as string}/start`)
  if (s.status !== 204) throw new Error(`start: ${s.status} ${JSON.stringify(s.body)}`)
  return c.body.Id as string
}

t.test('berthd SIGKILLed while containers use a volume: in use after the restart, removable once they are gone', async t => {
  let d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const a = await started(d, { Cmd: ['sleep', '1000'], HostConfig: { Binds: ['crashv:/v'] } })
  const b = await started(d, { Cmd: ['sh', '-c', 'echo survived > /v/f; sleep 1000'], HostConfig: { Binds: ['crashv:/v'] } })
  // A create still attaching when the kill comes: its record is never written, so it holds nothing afterwards.
  const pending = d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['true'], HostConfig: { Binds: ['crashv:/v', 'other:/o'] } }).catch(() => undefined)
  await d.stop('SIGKILL')
  await pending
  d = await d.restart()

  const busy = await d.req('DELETE', '/volumes/crashv')
  t.equal(busy.status, 409)
  const users = /in use - \[(.*)\]$/.exec(busy.body.message as string)?.[1]?.split(', ').sort()
  t.ok(users?.includes(a) === true && users.includes(b), `both running containers are its users (${busy.body.message as string})`)
  t.equal((await d.req('GET', `/containers/${a}/json`)).body.State.Running, true, 'the containers ran on')
  t.equal((await d.req('DELETE', `/containers/${a}?force=1`)).status, 204)
  t.equal((await d.req('DELETE', '/volumes/crashv')).status, 409, 'one user left')
  t.equal(await readFile(`${d.root}/volumes/crashv/_data/f`, 'utf8'), 'survived\n', 'the volume\'s data is there')
  t.equal((await d.req('DELETE', `/containers/${b}?force=1`)).status, 204)
  // The create the kill interrupted may have left a container (if its record was written): it goes too.
  for (const c of (await d.req('GET', '/containers/json?all=1')).body as Array<{ Id: string }>) await d.req('DELETE', `/containers/${c.Id}?force=1`)
  t.equal((await d.req('DELETE', '/volumes/crashv')).status, 204, 'no user left: removed')
  t.strictSame((await d.req('GET', '/volumes?filters=' + encodeURIComponent('{"dangling":["false"]}'))).body.Volumes, [], 'no volume is in use')
})

t.test('a DriverOpts mount whose user went while berthd was down is undone at start-up', async t => {
  let d = await startDaemon(t)
  await importBusybox(d, 'bb')
  await d.req('POST', '/volumes/create', { Name: 'tv', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } })
  const data = `${d.root}/volumes/tv/_data`
  const id = await started(d, { Cmd: ['sleep', '1000'], HostConfig: { Binds: ['tv:/t'] } })
  t.ok(await mounted(data))
  await d.stop('SIGKILL')
  d = await d.restart()
  t.ok(await mounted(data), 'still used: still mounted')
  t.equal((await d.req('DELETE', `/containers/${id}?force=1`)).status, 204)
  t.notOk(await mounted(data), 'unmounted with its last user')
  // Mounted again by a new user, then its record removed behind berthd's back while berthd is down.
  const again = await started(d, { Cmd: ['true'], HostConfig: { Binds: ['tv:/t'] } })
  t.ok(await mounted(data))
  await d.req('POST', `/containers/${again}/wait`)
  await d.stop('SIGKILL')
  await rm(`${d.root}/containers/${again}/container.json`)
  d = await d.restart()
  t.notOk(await mounted(data), 'no record uses it: unmounted at start-up')
  t.equal((await d.req('DELETE', '/volumes/tv')).status, 204)
})
