/**
 * A removal answers once it is durable and cleans up the rest in the
 * background (containers/manager.ts remove): what depends on the removed
 * container's resources being gone must still find them gone, and a crash
 * right after the answer must leave nothing the next start does not clean.
 */
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { checkInvariants } from '../scripts/chaos.js'
import { importBusybox, makeBundle, startDaemon, subnetFor, until, type Daemon } from './helpers.js'

/** Dot-dirs a removal left in the containers dir (hideTree's). */
const hiddenDirs = async (d: Daemon): Promise<string[]> => (await readdir(join(d.root, 'containers')).catch(() => [] as string[])).filter(n => n.startsWith('.'))

/** Overlay mounts of containers' rootfs under the daemon's root. */
const rootfsMounts = async (d: Daemon): Promise<string[]> => (await readFile('/proc/self/mounts', 'utf8')).split('\n').filter(l => l.includes(join(d.root, 'containers')))

/** A container of image `image` on network `net` with volume `vol` mounted; running (a sleep) or exited (true, waited for). */
async function makeUser (d: Daemon, name: string, image: string, net: string, vol: string, running: boolean): Promise<string> {
  const c = await d.req('POST', `/containers/create?name=${name}`, {
    Image: image, Cmd: running ? ['sleep', '60'] : ['true'], HostConfig: { NetworkMode: net, Binds: [`${vol}:/data`] }
  })
  if (c.status !== 201) throw new Error(`create ${name}: ${c.status} ${JSON.stringify(c.body)}`)
  const id = c.body.Id as string
  const w = running ? undefined : d.req('POST', `/containers/${id}/wait`)
  if ((await d.req('POST', `/containers/${id}/start`)).status !== 204) throw new Error(`start ${name} failed`)
  if (w !== undefined) await w
  return id
}

t.test('docker rm followed at once by network rm, volume rm, rmi and a create of the same name', async t => {
  const d = await startDaemon(t)
  for (const running of [false, true]) {
    const tag = running ? 'run' : 'ex'
    await importBusybox(d, `img-${tag}`)
    t.equal((await d.req('POST', '/networks/create', { Name: `net-${tag}`, IPAM: { Config: [{ Subnet: subnetFor(`${d.dir}/${tag}`) }] } })).status, 201)
    t.equal((await d.req('POST', '/volumes/create', { Name: `vol-${tag}` })).status, 201)
    const id = await makeUser(d, `c-${tag}`, `img-${tag}`, `net-${tag}`, `vol-${tag}`, running)
    const removed = d.req('POST', `/containers/${id}/wait?condition=removed`)
    t.equal((await d.req('DELETE', `/containers/${id}?force=1`)).status, 204, `${tag}: removed`)
    t.equal((await removed).status, 200, `${tag}: wait?condition=removed answered`)
    // Each removal waits for what it needs; done first, it is the one that could find the container's clean-up under way.
    const removeNetwork = async (): Promise<void> => { t.equal((await d.req('DELETE', `/networks/net-${tag}`)).status, 204, `${tag}: its network removed right after`) }
    const removeImage = async (): Promise<void> => {
      const rmi = await d.req('DELETE', `/images/img-${tag}`)
      t.equal(rmi.status, 200, `${tag}: its image removed right after`)
      t.ok((rmi.body as Array<Record<string, string>>).some(i => i.Deleted !== undefined), `${tag}: the image itself deleted, not only untagged`)
      t.same(await rootfsMounts(d), [], `${tag}: no rootfs stands on the deleted image's layers`)
    }
    for (const step of running ? [removeImage, removeNetwork] : [removeNetwork, removeImage]) await step()
    t.equal((await d.req('DELETE', `/volumes/vol-${tag}`)).status, 204, `${tag}: its volume removed right after`)
    const again = await d.req('POST', '/containers', { Bundle: await makeBundle(d, ['true']), Name: `c-${tag}` })
    t.equal(again.status, 201, `${tag}: its name is free right after`)
    t.equal((await d.req('DELETE', `/containers/${again.body.Id as string}`)).status, 204)
  }
  await until(async () => (await hiddenDirs(d)).length === 0, 10_000, 'removed containers\' dirs deleted')
  t.same(await checkInvariants(d), [], 'no monitor, runtime state, state dir or mount left')
})

t.test('berthd SIGKILLed right after a DELETE answers leaves nothing after a restart', async t => {
  let d = await startDaemon(t)
  await importBusybox(d, 'img')
  t.equal((await d.req('POST', '/networks/create', { Name: 'net', IPAM: { Config: [{ Subnet: subnetFor(`${d.dir}/kill`) }] } })).status, 201)
  t.equal((await d.req('POST', '/volumes/create', { Name: 'vol' })).status, 201)
  for (const [i, running] of [false, true, false, true].entries()) {
    const id = await makeUser(d, `c${i}`, 'img', 'net', 'vol', running)
    t.equal((await d.req('DELETE', `/containers/${id}?force=1`)).status, 204, `round ${i}: removed`)
    await d.stop('SIGKILL')
    d = await d.restart()
    t.equal((await d.req('GET', `/containers/${id}/json`)).status, 404, `round ${i}: still removed after the restart`)
    t.same(await checkInvariants(d), [], `round ${i}: nothing leaked`)
    await until(async () => (await hiddenDirs(d)).length === 0, 10_000, 'the hidden dir deleted')
    t.same(await readdir(join(d.state, 'networks', 'attach')), [], `round ${i}: no network attachment left`)
  }
  t.equal((await d.req('DELETE', '/networks/net')).status, 204, 'the network is free')
  t.equal((await d.req('DELETE', '/volumes/vol')).status, 204, 'the volume is free')
  t.equal((await d.req('DELETE', '/images/img')).status, 200, 'the image is free')
})
