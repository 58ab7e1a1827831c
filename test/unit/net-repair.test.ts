/** What the network repair finds lost (src/networks/repair.ts), from netavark 1.4's rules as iptables -S prints them. */
import t from 'tap'
import { brokenNetworks, portsBroken, type HostNetState } from '../../src/networks/repair.js'
import type { NetworkRecord } from '../../src/networks/store.js'

const net = (id: string, subnet: string, internal = false): NetworkRecord => ({
  Name: id, Id: id, Created: '', Driver: 'bridge', Internal: internal, Labels: {}, Options: {},
  IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: subnet, Gateway: '' }] }, iface: `br-${id}`, dns: true
})
const RULES = [
  '-A POSTROUTING -s 10.1.0.0/24 -j NETAVARK-52047FD57F2E5',
  '-A NETAVARK_FORWARD -d 10.1.0.0/24 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  '-A NETAVARK_FORWARD -s 10.1.0.0/24 -j ACCEPT',
  '-A NETAVARK-DN-52047FD57F2E5 -d 127.0.0.1/32 -p tcp -m tcp --dport 38123 -j DNAT --to-destination 10.1.0.2:80'
]
const state = (ports: Record<string, number>, rules = RULES): HostNetState => ({ ports: new Map(Object.entries(ports)), rules })

t.test('a network is broken when its bridge is gone or has fewer ports than containers, or its rules are gone', async t => {
  const a = net('a', '10.1.0.0/24'); const b = net('b', '10.2.0.0/24', true); const idle = net('idle', '10.3.0.0/24')
  const users = new Map([['a', 2], ['b', 1]])
  t.same([...brokenNetworks([a, b, idle], users, state({ 'br-a': 2, 'br-b': 1 }))], [], 'whole; an Internal network has no rules; an unused one is not looked at')
  t.same([...brokenNetworks([a, b], users, state({ 'br-a': 1, 'br-b': 1 }))], ['a'], 'a container\'s port lost')
  t.same([...brokenNetworks([a, b], users, state({ 'br-a': 2 }))], ['b'], 'a bridge gone')
  t.same([...brokenNetworks([a, b], users, state({ 'br-a': 2, 'br-b': 1 }, RULES.slice(1)))], ['a'], 'the masquerade rule gone')
  t.same([...brokenNetworks([a, b], users, state({ 'br-a': 2, 'br-b': 1 }, [RULES[0]!]))], ['a'], 'the forward rule gone')
})

t.test('a published port is broken without its DNAT to the container', async t => {
  const ep = { networkId: 'a', ip: '10.1.0.2', prefixLen: 24, gateway: '10.1.0.1', mac: '', aliases: [], iface: 'eth0' }
  const p = { host_ip: '127.0.0.1', container_port: 80, host_port: 38123, range: 1, protocol: 'tcp' as const }
  t.notOk(portsBroken([p], [ep], state({})))
  t.ok(portsBroken([p], [ep], state({}, RULES.slice(0, 3))))
  t.ok(portsBroken([{ ...p, container_port: 8 }], [ep], state({})), 'port 8 is not port 80')
  t.notOk(portsBroken([], [ep], state({}, [])))
})
