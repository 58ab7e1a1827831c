/**
 * Names after a network connect, as in Docker: a running container of the
 * default bridge (no name resolution) connected to a user network gets
 * that network's resolver in /etc/resolv.conf and finds containers by
 * name; disconnected, its resolvers are the host's again. Reaches only the
 * test's own containers; never asks for a name outside them.
 */
import t from 'tap'
import { importBusybox, startDaemon, subnetFor } from './helpers.js'
import { execOut, httpGet, HTTPD, start } from './network-helpers.js'

t.test('connect of a default-bridge container to a user network: names resolve; disconnect: the host\'s resolvers again', async t => {
  const d = await startDaemon(t)
  await importBusybox(d)
  const subnet = subnetFor(`${d.dir}/names`)
  t.equal((await d.req('POST', '/networks/create', { Name: 'names', IPAM: { Config: [{ Subnet: subnet }] } })).status, 201)
  const gateway = (await d.req('GET', '/networks/names')).body.IPAM.Config[0].Gateway as string
  const web = await start(d, 'web', HTTPD, { NetworkMode: 'names' })
  const cli = await start(d, 'cli', ['sleep', '120'])
  const before = await execOut(d, cli, ['cat', '/etc/resolv.conf'])
  t.notMatch(before, gateway, 'on the default bridge: the host\'s resolvers')

  t.equal((await d.req('POST', '/networks/names/connect', { Container: 'cli' })).status, 200)
  t.match(await execOut(d, cli, ['cat', '/etc/resolv.conf']), `nameserver ${gateway}`, 'the network\'s aardvark-dns')
  t.match(await execOut(d, cli, httpGet('web')), web.slice(0, 12), 'web found by name')

  t.equal((await d.req('POST', '/networks/names/disconnect', { Container: 'cli' })).status, 200)
  t.equal(await execOut(d, cli, ['cat', '/etc/resolv.conf']), before, 'the host\'s resolvers again')
})
