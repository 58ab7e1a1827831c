/**
 * A bridge lives as long as its network, as Docker's do, not as long as its
 * containers. netavark 1.4 removes a bridge, its firewall chains and rules
 * when its last container's veth goes: that "complete" teardown takes
 * 150-260 ms here (the bridge's unregistering, a dozen iptables calls),
 * against 20-30 ms for any other container's, and the next container's
 * setup, which makes them all again, waits for it under netavark's lock.
 * So every `docker run --rm` alone on a network paid both.
 *
 * A keeper, a veth whose far end stays down, is made a port of the bridge
 * after each setup: netavark sees another port and leaves the bridge and
 * its rules alone. The keeper goes when the network is removed or when
 * berthd stops with no container on it; then a sweep (a throwaway
 * namespace set up and torn down on the network, nothing else on it) lets
 * netavark do its complete teardown, so nothing of the network is left
 * on the host.
 */
import { randomBytes } from 'node:crypto'
import { readlink, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { basename } from 'node:path'
import { runtimeFailed } from '../errors.js'
import { runChild } from '../sys/spawn.js'
import { freeAddress, parseCidr } from './cidr.js'
import { makeNetns, removeNetns, setup, teardown } from './netavark.js'
import type { NetworkRecord } from './store.js'

const IP = '/usr/sbin/ip'
const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }

/** The keeper of bridge `br-<id12>`, and its far end. */
export const keeperOf = (iface: string): string => `bk-${iface.slice(3)}`
const farEndOf = (iface: string): string => `bp-${iface.slice(3)}`

/** Whether `port` (a name under /sys/class/net/BRIDGE/brif) is a keeper, not a container's veth. */
export const isKeeper = (port: string): boolean => port.startsWith('bk-')

const masterOf = async (link: string): Promise<string | undefined> =>
  await readlink(`/sys/class/net/${link}/master`).then(p => basename(p), () => undefined)

/** Makes bridge `iface`'s keeper its port, unless it is already; the bridge exists (netavark just set it up). */
export async function keepBridge (iface: string): Promise<void> {
  const keeper = keeperOf(iface)
  if (await masterOf(keeper) === iface) return
  const args = existsSync(`/sys/class/net/${keeper}`)
    ? ['link', 'set', keeper, 'master', iface, 'up'] // the bridge was deleted and made again (repair)
    : ['link', 'add', keeper, 'master', iface, 'up', 'type', 'veth', 'peer', 'name', farEndOf(iface)]
  const r = await runChild(IP, args, ENV, 10_000)
  // Two setups on one network at once: the other one made it.
  if (r.code !== 0 && await masterOf(keeper) !== iface) throw runtimeFailed(`could not keep bridge ${iface}: ${r.stderr.trim()}`)
}

/**
 * Removes network `n`'s keeper and, when its bridge is still there, lets
 * netavark remove the bridge and its rules: a namespace of its own set up
 * on `n` at its first free address and torn down again. Only while no
 * container is on `n` (the caller holds the address leases).
 */
export async function sweepBridge (n: NetworkRecord, configDir: string, scratch: (id: string) => { netns: string, file: string }): Promise<void> {
  if (existsSync(`/sys/class/net/${keeperOf(n.iface)}`)) await runChild(IP, ['link', 'delete', keeperOf(n.iface)], ENV, 10_000)
  if (!existsSync(`/sys/class/net/${n.iface}`)) return
  const c = n.IPAM.Config[0]!
  const subnet = parseCidr(c.Subnet)!
  const ip = freeAddress(subnet, subnet, new Set([c.Gateway]))
  if (ip === undefined) return
  const id = randomBytes(32).toString('hex')
  const { netns, file } = scratch(id)
  const input = {
    id,
    name: `berth-sweep-${id.slice(0, 12)}`,
    endpoints: { [n.Name]: { networkId: n.Id, ip, prefixLen: subnet.bits, gateway: c.Gateway, mac: '', aliases: [], iface: 'eth0' } },
    networks: { [n.Name]: n },
    ports: []
  }
  await makeNetns(netns)
  try {
    await setup(configDir, file, netns, input)
    await teardown(configDir, file, netns, input)
  } finally {
    await removeNetns(netns)
    await rm(file, { force: true })
  }
}
