/**
 * netavark, one stateless exec per container (next-capabilities.md §B):
 * `setup` makes the veth, the bridge, the firewall and DNAT rules and
 * registers the names with aardvark-dns; `teardown` undoes that for the
 * container (and removes the bridge with its last container). Its JSON
 * (netavark's NetworkOptions) is written to a file beside the attachment
 * and given with --file. Also the container's network namespace file.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { existsSync } from 'node:fs'
import { runtimeFailed } from '../errors.js'
import { runChild } from '../sys/spawn.js'
import type { NetworkRecord } from './store.js'

export const NETAVARK = '/usr/lib/podman/netavark'
export const AARDVARK = '/usr/lib/podman/aardvark-dns'
const ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' }

/** netavark's port mapping; `range` 1 is one port. */
export interface PortMapping { host_ip: string, container_port: number, host_port: number, range: number, protocol: 'tcp' | 'udp' | 'sctp' }

/**
 * The MAC of the interface with address `ip`: Docker's 02:42 and the
 * address. An address used again gets the same MAC, so the other
 * containers' ARP entries for it stay right (random ones went stale and
 * held traffic up for tens of seconds).
 */
export const macFor = (ip: string): string => ['02', '42', ...ip.split('.').map(o => Number(o).toString(16).padStart(2, '0'))].join(':')

/** One network a container is on, as leased. */
export interface Endpoint { networkId: string, ip: string, prefixLen: number, gateway: string, mac: string, aliases: string[], iface: string }

/** What netavark is told about one container. */
export interface SetupInput { id: string, name: string, endpoints: Record<string, Endpoint>, networks: Record<string, NetworkRecord>, ports: PortMapping[] }

/** netavark's NetworkOptions for `input`. */
export function netavarkOptions (input: SetupInput): object {
  const networks: Record<string, object> = {}
  const info: Record<string, object> = {}
  for (const [name, ep] of Object.entries(input.endpoints)) {
    const n = input.networks[name]!
    networks[name] = { static_ips: [ep.ip], aliases: ep.aliases, interface_name: ep.iface, ...(ep.mac !== '' ? { static_mac: ep.mac } : {}) }
    info[name] = {
      name, id: n.Id, driver: 'bridge', network_interface: n.iface,
      subnets: n.IPAM.Config.map(c => ({ subnet: c.Subnet, gateway: c.Gateway })),
      ipv6_enabled: false, internal: n.Internal, dns_enabled: n.dns
    }
  }
  return { container_id: input.id, container_name: input.name, networks, network_info: info, port_mappings: input.ports }
}

/** netavark's answer to setup, per network: the interfaces it made. */
export type StatusBlock = Record<string, { dns_server_ips?: string[], dns_search_domains?: string[], interfaces?: Record<string, { mac_address: string }> }>

/**
 * One netavark at a time: a teardown that removes a network's last
 * container deletes the network's chains while a concurrent setup appends
 * to them ("No chain/target/match by that name"). podman serialises them
 * under a lock too. The queue orders this berthd's calls; the host-wide
 * flock keeps other berthds (tests run several) out of the shared chains;
 * --close, or aardvark-dns, which netavark starts, would hold the lock.
 */
const LOCK = '/run/lock/berth-netavark.lock'
let queue: Promise<unknown> = Promise.resolve()

async function netavark (configDir: string, file: string, verb: 'setup' | 'teardown', netns: string, input: SetupInput): Promise<string> {
  const run = queue.catch(() => {}).then(() => netavarkNow(configDir, file, verb, netns, input))
  queue = run
  return await run
}

async function netavarkNow (configDir: string, file: string, verb: 'setup' | 'teardown', netns: string, input: SetupInput): Promise<string> {
  await writeFile(file, JSON.stringify(netavarkOptions(input)))
  const r = await runChild('/usr/bin/flock', ['--close', LOCK, NETAVARK, '--config', configDir, '--rootless', 'false', '--aardvark-binary', AARDVARK, '--file', file, verb, netns], ENV, 30_000)
  if (r.code !== 0 || r.timedOut) throw runtimeFailed(`netavark ${verb} failed: ${(r.stderr !== '' ? r.stderr : r.stdout).trim() || `exit ${String(r.code)}`}`)
  return r.stdout
}

export const setup = async (configDir: string, file: string, netns: string, input: SetupInput): Promise<StatusBlock> =>
  JSON.parse(await netavark(configDir, file, 'setup', netns, input)) as StatusBlock

export const teardown = async (configDir: string, file: string, netns: string, input: SetupInput): Promise<void> => {
  await netavark(configDir, file, 'teardown', netns, input)
}

/** Makes a network namespace and bind-mounts it at `path` (util-linux's unshare, as `ip netns add` does). */
export async function makeNetns (path: string, idmap?: NetnsIdmap): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  await writeFile(path, '')
  if (idmap !== undefined) await writeFile(usernsFile(path), '')
  const r = idmap === undefined
    ? await runChild('/usr/bin/unshare', [`--net=${path}`, 'true'], ENV, 10_000)
    : await runChild('/bin/sh', ['-c', USERNS_NETNS, 'sh', path, usernsFile(path), mapLines(idmap.uidMappings), mapLines(idmap.gidMappings)], ENV, 10_000)
  if (r.code !== 0) {
    await removeNetns(path)
    throw runtimeFailed(`could not make a network namespace: ${r.stderr}`)
  }
}

/** A remapped container's id maps (security/userns.ts): its netns is made in a user namespace of its own with them. */
export interface NetnsIdmap { uidMappings: readonly IdRange[], gidMappings: readonly IdRange[] }
interface IdRange { containerID: number, hostID: number, size: number }
const mapLines = (m: readonly IdRange[]): string => m.map(r => `${r.containerID} ${r.hostID} ${r.size}`).join('\n')

/** The file the user namespace that owns netns `path` is bound on. */
export const usernsFile = (path: string): string => `${path}.user`

/**
 * A network namespace owned by a new user namespace with the container's
 * maps, both bound on files: the container joins both, so root inside holds
 * its capabilities over its network (sysctls, low ports, routes), as when
 * the runtime makes the two together under Docker. newuidmap would check
 * root's own subuid ranges, so the maps are written by hand; `unshare`
 * without --fork execs sleep, whose name says the namespaces are made.
 */
const USERNS_NETNS = `unshare --user --net sleep 30 & p=$!
while [ "$(cat /proc/$p/comm 2>/dev/null)" != sleep ]; do kill -0 $p || exit 1; done
printf "$3\\n" > /proc/$p/uid_map && printf "$4\\n" > /proc/$p/gid_map &&
  mount --bind /proc/$p/ns/user "$2" && mount --bind /proc/$p/ns/net "$1"; rc=$?
kill $p; exit $rc`

/** Unmounts and removes a namespace file; nothing when it is gone already. */
export async function removeNetns (path: string): Promise<void> {
  await runChild('/usr/bin/umount', ['--lazy', path], ENV, 10_000)
  await rm(path, { force: true })
  if (existsSync(usernsFile(path))) {
    await runChild('/usr/bin/umount', ['--lazy', usernsFile(path)], ENV, 10_000)
    await rm(usernsFile(path), { force: true })
  }
}

/**
 * Gives bridge `iface` a MAC of its own, once. A Linux bridge otherwise takes
 * the lowest MAC of its ports, so it changes when a container leaves: the
 * other containers' ARP entries for the gateway then point nowhere until
 * they expire (their DNS through aardvark-dns and their way out stop for
 * tens of seconds). Docker sets a random MAC on its bridges for this.
 */
export async function pinBridgeMac (iface: string): Promise<void> {
  // 3: NET_ADDR_SET, a MAC set by hand, which the bridge keeps.
  const type = await readFile(`/sys/class/net/${iface}/addr_assign_type`, 'utf8').catch(() => '')
  if (type.trim() === '3' || type === '') return
  const b = randomBytes(6)
  b[0] = (b[0]! & 0xfe) | 0x02 // unicast, locally administered
  const mac = [...b].map(x => x.toString(16).padStart(2, '0')).join(':')
  const r = await runChild('/usr/sbin/ip', ['link', 'set', 'dev', iface, 'address', mac], ENV, 10_000)
  if (r.code !== 0) throw runtimeFailed(`could not set the MAC of bridge ${iface}: ${r.stderr.trim()}`)
}
