/**
 * The container side of networks: what a container's create body asks for
 * (NetworkMode, EndpointsConfig aliases, PortBindings, PublishAllPorts),
 * turned into an attachment at launch, its namespace path put into the
 * spec and its /etc/hosts and /etc/resolv.conf written; and Docker's
 * NetworkSettings from the attachment. The leases and netavark are
 * networks/'s.
 */
import { access, readFile, writeFile } from 'node:fs/promises'
import { conflict, forbidden, invalid } from '../errors.js'
import { randomPort, type Attachment, type Networks, type PortMapping } from '../networks/service.js'
import type { Layout } from '../store/layout.js'
import type { ContainerRecord } from '../store/records.js'
import type { OciSpec } from './bundle.js'
import type { DockerCreateBody } from './dockerspec.js'
import { hostsFile, resolvConf } from './etc-files.js'
import { isRunning } from './state.js'
import { idmapOf } from './remap.js'
import { usernsFile } from '../networks/netavark.js'

/** What the networking asks of the manager. */
export interface NetworkingHost {
  networks: Networks
  layout: Layout
  /** A container by name or id (throws 404). */
  container: (ref: string) => ContainerRecord
  /** The image's ExposedPorts, for PublishAllPorts. */
  exposedPorts: (rec: ContainerRecord) => Record<string, unknown>
  /** Runs `fn` on the container's record after its other operations; what it gives is saved into the record. */
  update: (ref: string, fn: (rec: ContainerRecord) => Promise<Partial<ContainerRecord>>) => Promise<void>
}

/** One network a container is on, as its record keeps it. */
type OnNetwork = NonNullable<ContainerRecord['networks']>[string]

/** Docker's EndpointSettings as connect takes them (the fields berth uses). */
export interface EndpointConfig { Aliases?: string[] | null, IPAMConfig?: { IPv4Address?: string, [k: string]: unknown } | null, [k: string]: unknown }

/** NetworkMode as the container runs it: `bridge` for '' and default. */
export function modeOf (body: DockerCreateBody | undefined): string {
  const m = body?.HostConfig?.NetworkMode ?? ''
  return m === '' || m === 'default' ? 'bridge' : m
}

const isNetwork = (mode: string): boolean => mode !== 'host' && mode !== 'none' && mode !== 'default' && !mode.startsWith('container:')

/** `80/tcp` → [80, 'tcp']; a range `80-81/tcp` is refused (the docker client sends one key per port). */
function containerPort (key: string): [number, 'tcp' | 'udp' | 'sctp'] {
  const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(key)
  if (m === null || Number(m[1]) < 1 || Number(m[1]) > 65535) throw invalid(`invalid port specification: "${key}"`)
  return [Number(m[1]), (m[2] ?? 'tcp') as 'tcp']
}

/** The host port range `8080` or `8000-8010`; undefined for "" (a random one). */
function hostPorts (s: string): [number, number] | undefined {
  if (s === '') return undefined
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(s)
  const lo = Number(m?.[1]); const hi = Number(m?.[2] ?? m?.[1])
  if (m === null || lo < 1 || hi > 65535 || hi < lo) throw invalid(`invalid port specification: "${s}"`)
  return [lo, hi]
}

/** Checks the port fields of a create body (pure): Docker's 400s. */
export function checkPorts (body: DockerCreateBody): void {
  for (const [key, bindings] of Object.entries(body.HostConfig?.PortBindings ?? {})) {
    containerPort(key)
    for (const b of bindings ?? []) hostPorts(b.HostPort ?? '')
  }
  const mode = modeOf(body)
  const published = Object.keys(body.HostConfig?.PortBindings ?? {}).length > 0 || body.HostConfig?.PublishAllPorts === true
  if (published && !isNetwork(mode)) throw invalid(`conflicting options: port publishing and the ${mode.startsWith('container:') ? 'container' : mode} network mode`)
}

/** Docker's NetworkSettings (the fields clients read are typed). */
export interface NetworkSettings { Networks: Record<string, unknown>, Ports: Record<string, unknown>, IPAddress: string, Gateway: string, MacAddress: string, SandboxKey: string, [k: string]: unknown }

export class Networking {
  constructor (private readonly h: NetworkingHost) {}

  /** Checks at create that the networks named exist (Docker's 404) and that container: names a container. */
  checkCreate (body: DockerCreateBody): void {
    const mode = modeOf(body)
    if (isNetwork(mode)) this.h.networks.get(mode)
    for (const name of Object.keys(body.NetworkingConfig?.EndpointsConfig ?? {})) if (isNetwork(name)) this.h.networks.get(name)
  }

  /**
   * Before the runtime's create: the container's network namespace made
   * and the spec pointed at it; `ready` is its setup, which the caller
   * awaits once the runtime's create is under way. Bundle containers (no
   * create body) keep their spec.
   */
  async prepare (rec: ContainerRecord, spec: OciSpec): Promise<{ spec: OciSpec, ready?: Promise<void> }> {
    const body = rec.createBody as DockerCreateBody | undefined
    if (body === undefined) return { spec }
    const mode = modeOf(body)
    if (mode === 'host' || mode === 'none') return { spec }
    let path: string
    let userns: string | undefined
    let ready: Promise<void> | undefined
    if (mode.startsWith('container:')) {
      const donor = this.donor(mode.slice('container:'.length))
      path = this.h.networks.attachment(donor.id)?.netns ?? `/proc/${donor.pid}/ns/net`
      spec = await this.donorFiles(donor, spec)
    } else {
      const networks = Object.entries(this.networksOf(rec)).map(([network, on]) => ({ network, ...on }))
      const idmap = idmapOf(spec)
      const attached = await this.h.networks.attach({ id: rec.id, name: rec.name, networks, ports: await this.ports(rec, body), ...(idmap !== undefined ? { idmap } : {}) })
      const a = attached.a
      ready = attached.ready
      await this.writeEtcFiles(rec, body, a).catch(async (err: unknown) => { await this.h.networks.detach(rec.id); throw err })
      path = a.netns
      // A remapped container joins the user namespace that owns its network namespace.
      if (idmap !== undefined) userns = usernsFile(path)
    }
    const namespaces = (spec.linux?.namespaces ?? []).filter(n => n.type !== 'network' && (userns === undefined || n.type !== 'user'))
    spec = { ...spec, linux: { ...spec.linux, namespaces: [...namespaces, { type: 'network', path }, ...(userns !== undefined ? [{ type: 'user', path: userns }] : [])] } }
    return { spec, ...(ready !== undefined ? { ready } : {}) }
  }

  /** NetworkMode `container:<ref>`: that container, which must be running (moby getNetworkedContainer, with its messages). */
  private donor (ref: string): ContainerRecord {
    let donor: ContainerRecord
    try { donor = this.h.container(ref) } catch (err) { throw invalid(`cannot join network namespace of container: ${(err as Error).message}`, err) }
    if (!isRunning(donor.status)) throw conflict(`cannot join network namespace of a non running container: container ${donor.id} is ${donor.status}`)
    return donor
  }

  /**
   * A container joining another's namespace has its /etc/hostname,
   * /etc/hosts and /etc/resolv.conf, and its hostname (moby
   * initializeNetworkingPaths): names and resolvers are the namespace's.
   */
  private async donorFiles (donor: ContainerRecord, spec: OciSpec): Promise<OciSpec> {
    const files = this.h.layout.etcFiles(donor.id)
    const theirs: Record<string, string> = { '/etc/hostname': files.hostname, '/etc/hosts': files.hosts, '/etc/resolv.conf': files.resolvConf }
    // A bundle container (berth's own API) has no such files: its namespace is joined alone.
    if (!await access(files.hosts).then(() => true, () => false)) return spec
    const mounts = spec.mounts?.map(m => { const src = theirs[String(m.destination)]; return src !== undefined ? { ...m, source: src } : m })
    // No hostname in the spec: the host's UTS namespace (UTSMode host), whose name is not to be set.
    const hostname = spec.hostname !== undefined ? { hostname: donor.hostname !== '' ? donor.hostname : donor.id.slice(0, 12) } : {}
    return { ...spec, ...hostname, mounts }
  }

  /**
   * The networks the container is on, by name (the first is eth0): its
   * record's once a connect or disconnect changed them; else NetworkMode's
   * network, then EndpointsConfig's others, with their aliases and
   * addresses. A network removed since keeps the name it was asked by.
   */
  networksOf (rec: ContainerRecord): Record<string, OnNetwork> {
    if (rec.networks !== undefined) return rec.networks
    const body = rec.createBody as DockerCreateBody | undefined
    const mode = modeOf(body)
    if (body === undefined || !isNetwork(mode)) return {}
    const nameOf = (ref: string): string => { try { return this.h.networks.get(ref).Name } catch { return ref } }
    const out: Record<string, OnNetwork> = {}
    const eps = Object.entries(body.NetworkingConfig?.EndpointsConfig ?? {}).filter(([n]) => isNetwork(n))
    for (const name of [nameOf(mode), ...eps.map(([n]) => nameOf(n))]) out[name] ??= { aliases: [] }
    for (const [ref, ep] of eps) {
      const on = out[nameOf(ref)]!
      on.aliases.push(...(ep?.Aliases ?? []).filter(a => a !== ''))
      const ip = (ep?.IPAMConfig as EndpointConfig['IPAMConfig'])?.IPv4Address
      if (ip !== undefined && ip !== '') on.ip = ip
    }
    return out
  }

  /**
   * Docker's network connect (moby ConnectToNetwork, with its messages): a
   * container with a run gets the network in its namespace now, one without
   * at its next start; the record keeps it either way.
   */
  async connect (ref: string, network: string, cfg: EndpointConfig | null | undefined): Promise<void> {
    await this.h.update(ref, async rec => {
      const mode = modeOf(rec.createBody as DockerCreateBody | undefined)
      const n = this.h.networks.find(network)
      if (n.Name === 'host') throw invalid('cannot connect container to host network - container must be created in host network mode')
      if (mode === 'host' || mode.startsWith('container:')) throw invalid('container sharing network namespace with another container or host cannot be connected to any other network')
      if (mode === 'none' || n.Name === 'none') throw invalid('container cannot be connected to multiple networks with one of the networks in private (none) mode')
      if (rec.status === 'removing') throw conflict(`Container ${rec.id} is marked for removal and cannot be connected or disconnected to the network`)
      const on = this.networksOf(rec)
      if (on[n.Name] !== undefined) throw forbidden(`endpoint with name ${rec.name} already exists in network ${n.Name}`)
      const wanted: OnNetwork = { aliases: (cfg?.Aliases ?? []).filter(a => a !== '') }
      const ip = cfg?.IPAMConfig?.IPv4Address
      if (ip !== undefined && ip !== '') {
        this.h.networks.checkAddress(this.h.networks.get(n.Id), ip)
        wanted.ip = ip
      }
      await this.resolvAfter(rec, await this.h.networks.connect(rec.id, { network: n.Name, ...wanted }))
      return { networks: { ...on, [n.Name]: wanted } }
    })
  }

  /** Docker's network disconnect (moby DisconnectFromNetwork): Force lets a removed network's name go from the record. */
  async disconnect (ref: string, network: string, force: boolean): Promise<void> {
    await this.h.update(ref, async rec => {
      let name = network
      try { name = this.h.networks.find(network).Name } catch (err) { if (!force) throw err }
      if (name === 'host' && modeOf(rec.createBody as DockerCreateBody | undefined) === 'host') throw invalid('cannot disconnect container from host network - container was created in host network mode')
      if (rec.status === 'removing') throw conflict(`Container ${rec.id} is marked for removal and cannot be connected or disconnected to the network`)
      const { [name]: was, ...rest } = this.networksOf(rec)
      const r = await this.h.networks.disconnect(rec.id, name)
      await this.resolvAfter(rec, r === 'done')
      if (was === undefined && r !== 'done') throw invalid(`container ${rec.id} is not connected to ${r === 'no-run' ? 'the network' : 'network'} ${name}`)
      return { networks: rest }
    })
  }

  /** After a connect or disconnect that changed the run (`changed`): its /etc/resolv.conf for its networks now. */
  private async resolvAfter (rec: ContainerRecord, changed: boolean): Promise<void> {
    const a = this.h.networks.attachment(rec.id)
    if (changed && a !== undefined) await this.writeResolvConf(rec, a)
  }

  /** PortBindings, and with PublishAllPorts every exposed port not bound, on random host ports. */
  private async ports (rec: ContainerRecord, body: DockerCreateBody): Promise<PortMapping[]> {
    const bindings: Record<string, Array<{ HostIp?: string | null, HostPort?: string | null }>> = {}
    for (const [k, v] of Object.entries(body.HostConfig?.PortBindings ?? {})) bindings[k] = v ?? []
    if (body.HostConfig?.PublishAllPorts === true) {
      for (const k of Object.keys({ ...this.h.exposedPorts(rec), ...body.ExposedPorts })) {
        const key = k.includes('/') ? k : `${k}/tcp`
        if (bindings[key] === undefined || bindings[key].length === 0) bindings[key] = [{ HostIp: '', HostPort: '' }]
      }
    }
    const out: PortMapping[] = []
    for (const [key, list] of Object.entries(bindings)) {
      const [port, protocol] = containerPort(key)
      for (const b of list.length > 0 ? list : [{}]) {
        const ip = b.HostIp ?? ''
        const host_ip = ip === '0.0.0.0' ? '' : ip
        const range = hostPorts(b.HostPort ?? '')
        // A range gives its first port; the check at setup says when that one is taken.
        const host_port = range !== undefined ? range[0] : await randomPort(host_ip)
        out.push({ host_ip, container_port: port, host_port, range: 1, protocol })
      }
    }
    return out
  }

  /** /etc/hosts with the container's address, /etc/resolv.conf naming aardvark-dns on a user network. */
  private async writeEtcFiles (rec: ContainerRecord, body: DockerCreateBody, a: Attachment): Promise<void> {
    const first = Object.values(a.endpoints)[0]
    const hostname = rec.hostname !== '' ? rec.hostname : rec.id.slice(0, 12)
    await writeFile(this.h.layout.etcFiles(rec.id).hosts, hostsFile(hostname, body.HostConfig?.ExtraHosts, undefined, first?.ip))
    await this.writeResolvConf(rec, a)
  }

  /**
   * /etc/resolv.conf for the networks of `a`: aardvark-dns, which answers
   * on a user network's gateway and forwards the rest to the host's
   * resolvers, when one is a user network; the host's resolvers otherwise.
   * Written in place (the bind mount keeps the file), also on connect and
   * disconnect of a running container: Docker's embedded DNS starts on the
   * connect of a default-bridge container to a user network, so names then
   * resolve; at a disconnect it stays and keeps forwarding, while here the
   * gateway left would answer no more, so the file follows the networks.
   */
  private async writeResolvConf (rec: ContainerRecord, a: Attachment): Promise<void> {
    const hc = (rec.createBody as DockerCreateBody | undefined)?.HostConfig ?? {}
    const dnsNet = Object.values(a.endpoints).find(ep => this.h.networks.list().find(n => n.Id === ep.networkId)?.dns === true)
    const dns = hc.Dns !== undefined && hc.Dns !== null && hc.Dns.length > 0 ? hc.Dns : dnsNet !== undefined ? [dnsNet.gateway] : undefined
    const host = await readFile('/etc/resolv.conf', 'utf8').catch(() => '')
    await writeFile(this.h.layout.etcFiles(rec.id).resolvConf, resolvConf(host, { dns, dnsSearch: hc.DnsSearch, dnsOptions: hc.DnsOptions }))
  }

  /** Docker's NetworkSettings for inspect. */
  settings (rec: ContainerRecord): NetworkSettings {
    const mode = modeOf(rec.createBody as DockerCreateBody | undefined)
    const a = isRunning(rec.status) || rec.status === 'created' ? this.h.networks.attachment(rec.id) : undefined
    const body = rec.createBody as DockerCreateBody | undefined
    const networks: Record<string, unknown> = {}
    for (const [name, ep] of Object.entries(a?.endpoints ?? {})) {
      networks[name] = {
        IPAMConfig: null, Links: null, Aliases: ep.aliases.length > 0 ? ep.aliases : null, NetworkID: ep.networkId, EndpointID: `${ep.networkId.slice(0, 32)}${rec.id.slice(0, 32)}`,
        Gateway: ep.gateway, IPAddress: ep.ip, IPPrefixLen: ep.prefixLen, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: ep.mac, DriverOpts: null
      }
    }
    const on = this.networksOf(rec)
    for (const [name, n] of Object.entries(on)) {
      const ipam = n.ip !== undefined ? { IPv4Address: n.ip } : null
      // Not running: Docker still lists the networks, with empty addresses.
      networks[name] = { ...(networks[name] ?? { Links: null, Aliases: n.aliases.length > 0 ? n.aliases : null, NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '', DriverOpts: null }), IPAMConfig: ipam }
    }
    if (mode === 'host' || mode === 'none') networks[mode] = { IPAMConfig: null, Links: null, Aliases: null, NetworkID: this.h.networks.predefinedId(mode), EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '', DriverOpts: null }
    const bridge = a?.endpoints.bridge
    return {
      Bridge: '', SandboxID: a !== undefined ? rec.id : '', HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
      Ports: portsView(body, a?.ports), SandboxKey: a?.netns ?? '', SecondaryIPAddresses: null, SecondaryIPv6Addresses: null,
      EndpointID: bridge !== undefined ? `${bridge.networkId.slice(0, 32)}${rec.id.slice(0, 32)}` : '',
      Gateway: bridge?.gateway ?? '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, IPAddress: bridge?.ip ?? '', IPPrefixLen: bridge?.prefixLen ?? 0,
      IPv6Gateway: '', MacAddress: bridge?.mac ?? '', Networks: networks
    }
  }

  /** The published ports of a running container, for `docker port` and ps. */
  published (rec: ContainerRecord): PortMapping[] { return this.h.networks.attachment(rec.id)?.ports ?? [] }
}

/** NetworkSettings.Ports: every exposed or bound port, with its host bindings while it runs (null otherwise). */
function portsView (body: DockerCreateBody | undefined, ports: PortMapping[] | undefined): Record<string, Array<{ HostIp: string, HostPort: string }> | null> {
  const out: Record<string, Array<{ HostIp: string, HostPort: string }> | null> = {}
  for (const k of Object.keys({ ...body?.ExposedPorts, ...body?.HostConfig?.PortBindings })) out[k.includes('/') ? k : `${k}/tcp`] = null
  for (const p of ports ?? []) {
    const key = `${p.container_port}/${p.protocol}`
    out[key] = [...(out[key] ?? []), { HostIp: p.host_ip === '' ? '0.0.0.0' : p.host_ip, HostPort: String(p.host_port) }]
  }
  return out
}
