/**
 * A network's bridge and rules live as long as the network (Docker's
 * lifetime; networks/keeper.ts), not as long as its containers: a kept
 * bridge spares the next container netavark's complete teardown and
 * remaking. They go with the network, and at berthd's stop when no
 * container is on it. Reaches only the test's own networks' gateways.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { basename } from 'node:path'
import t from 'tap'
import { execa } from 'execa'
import { importBusybox, startDaemon, subnetFor, until } from './helpers.js'
import { execOut, runOnce, start } from './network-helpers.js'

const ports = (iface: string): string[] => { try { return readdirSync(`/sys/class/net/${iface}/brif`) } catch { return [] } }
const master = (link: string): string | undefined => { try { return basename(readlinkSync(`/sys/class/net/${link}/master`)) } catch { return undefined } }
const ifindex = (link: string): string => { try { return readFileSync(`/sys/class/net/${link}/ifindex`, 'utf8').trim() } catch { return '' } }
const rulesFor = async (subnet: string): Promise<string[]> => {
  const out: string[] = []
  for (const table of ['nat', 'filter']) out.push(...(await execa('iptables', ['-t', table, '-S'])).stdout.split('\n').filter(r => r.startsWith('-A ') && r.includes(subnet)))
  return out
}

t.test('a bridge outlives its last container; it goes with its network, or at stop when idle; a lost container veth beside its keeper is found', async t => {
  const d = await startDaemon(t)
  await importBusybox(d)
  const subnet = subnetFor(`${d.dir}/kept`)
  const net = await d.req('POST', '/networks/create', { Name: 'kept', IPAM: { Config: [{ Subnet: subnet }] } })
  t.equal(net.status, 201)
  const iface = `br-${(net.body.Id as string).slice(0, 12)}`
  const keeper = `bk-${iface.slice(3)}`
  const gateway = subnet.replace(/0\/24$/, '1')

  const first = await runOnce(d, ['sh', '-c', `ping -c 1 -W 2 ${gateway} >/dev/null && echo reached`], { NetworkMode: 'kept' })
  t.match(first.out, 'reached', 'the first container reaches its gateway')
  await until(async () => ports(iface).length === 1, 10_000, 'the container\'s veth is torn down')
  t.same(ports(iface), [keeper], 'the bridge is kept, with its keeper as its one port')
  t.ok((await rulesFor(subnet)).some(r => r.includes('POSTROUTING')), 'and its masquerade rule')
  const second = await runOnce(d, ['sh', '-c', `ping -c 1 -W 2 ${gateway} >/dev/null && echo reached`], { NetworkMode: 'kept' })
  t.match(second.out, 'reached', 'a next container on the kept bridge reaches its gateway')

  // Beside the keeper, a container whose veth is gone still counts as broken.
  const a = await start(d, 'ka', ['sleep', '120'], { NetworkMode: 'kept' })
  const b = await start(d, 'kb', ['sleep', '120'], { NetworkMode: 'kept' })
  const bIp = (await d.req('GET', `/containers/${b}/json`)).body.NetworkSettings.Networks.kept.IPAddress as string
  const aVeths = ports(iface).filter(p => p !== keeper)
  t.equal(aVeths.length, 2, 'two container veths beside the keeper')
  // The host end of a's veth: the link whose index a's eth0 names as its peer.
  const aPeer = (await execOut(d, a, ['cat', '/sys/class/net/eth0/iflink'])).trim()
  const aVeth = aVeths.find(p => ifindex(p) === aPeer)
  t.ok(aVeth !== undefined, 'a\'s host veth found')
  await execa('ip', ['link', 'delete', aVeth!])
  const fixed = await d.req('POST', '/networks/reconcile')
  // The repair is per network (repair.ts): the keeper is not counted as a container's port.
  t.same([...fixed.body.Repaired].sort(), [a, b].sort(), 'the network with a lost veth is set up again')
  t.match(await execOut(d, a, ['sh', '-c', `ping -c 1 -W 2 ${bIp} >/dev/null && echo reached`]), 'reached', 'a reaches b again')
  for (const id of [a, b]) t.equal((await d.req('DELETE', `/containers/${id}?force=1`)).status, 204)

  t.equal((await d.req('DELETE', '/networks/kept')).status, 204)
  t.notOk(existsSync(`/sys/class/net/${iface}`), 'the bridge goes with its network')
  t.notOk(existsSync(`/sys/class/net/${keeper}`), 'so does its keeper')
  t.same(await rulesFor(subnet), [], 'and every rule naming its subnet')

  // The default bridge is kept while berthd runs, and removed at its stop when no container is on it.
  const dflt = `br-${((await d.req('GET', '/networks/bridge')).body.Id as string).slice(0, 12)}`
  t.equal((await runOnce(d, ['true'])).code, 0)
  await until(async () => ports(dflt).length === 1, 10_000, 'the container\'s veth is torn down')
  t.equal(master(`bk-${dflt.slice(3)}`), dflt, 'the default bridge is kept')
  await d.stop()
  t.notOk(existsSync(`/sys/class/net/${dflt}`), 'an idle bridge is removed at berthd\'s stop')
  t.notOk(existsSync(`/sys/class/net/bk-${dflt.slice(3)}`), 'with its keeper')
})
