/**
 * Which running containers' networking the host has lost: a firewall
 * reload or flush drops netavark's rules, a deleted bridge leaves the
 * containers' veths on nothing (Docker's users ask for a way to put them
 * back without restarting the daemon: moby#12294, docker/for-linux#361).
 * The check reads what netavark 1.4 makes: per network a bridge with a port
 * per container and, unless Internal, the subnet's forward and masquerade
 * rules; per published port a DNAT to the container. Only what is found
 * missing is set up again, so a healthy container is never disturbed.
 */
import { readdir } from 'node:fs/promises'
import { runChild } from '../sys/spawn.js'
import { isKeeper } from './keeper.js'
import type { Endpoint, PortMapping } from './netavark.js'
import type { NetworkRecord } from './store.js'

/** What the host has: the bridges' port counts and the firewall's rules. */
export interface HostNetState { ports: Map<string, number>, rules: string[] }

/** Reads the ports of bridges `ifaces` (absent: gone) and the rules of iptables' nat and filter tables. */
export async function hostNetState (ifaces: string[]): Promise<HostNetState> {
  const ports = new Map<string, number>()
  for (const iface of new Set(ifaces)) {
    const brif = await readdir(`/sys/class/net/${iface}/brif`).catch(() => undefined)
    if (brif !== undefined) ports.set(iface, brif.filter(p => !isKeeper(p)).length)
  }
  const r = await runChild('/usr/sbin/iptables-save', [], { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, 10_000)
  return { ports, rules: r.stdout.split('\n').filter(l => l.startsWith('-A ')) }
}

/** The networks of `users` (network id → the endpoints on it) whose bridge or rules are missing. Pure. */
export function brokenNetworks (networks: NetworkRecord[], users: Map<string, number>, s: HostNetState): Set<string> {
  const out = new Set<string>()
  for (const n of networks) {
    const count = users.get(n.Id) ?? 0
    if (count === 0) continue
    const subnet = n.IPAM.Config[0]!.Subnet
    const has = (prefix: string): boolean => s.rules.some(r => r.startsWith(prefix))
    const rulesOk = n.Internal || (has(`-A POSTROUTING -s ${subnet} -j NETAVARK-`) && has(`-A NETAVARK_FORWARD -s ${subnet} -j ACCEPT`))
    if ((s.ports.get(n.iface) ?? 0) < count || !rulesOk) out.add(n.Id)
  }
  return out
}

/** Whether one of `ports` has no DNAT to the container's address on one of its networks. Pure. */
export function portsBroken (ports: PortMapping[], endpoints: Endpoint[], s: HostNetState): boolean {
  const dnat = (ip: string, port: number): RegExp => new RegExp(`-j DNAT --to-destination ${ip.replaceAll('.', '\\.')}:${port}(-|\\s|$)`)
  return ports.some(p => !endpoints.some(ep => { const re = dnat(ep.ip, p.container_port); return s.rules.some(r => re.test(r)) }))
}
