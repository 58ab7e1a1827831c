/**
 * berth's networks: the store, the leases, and each container's attachment.
 *
 * An attachment (`<state>/networks/attach/<id>.json`) is what one run of a
 * container holds: its namespace file, one endpoint (address) per network,
 * its published ports. It is written atomically before netavark is asked,
 * and removed only after the teardown: the leases are the attachments, so
 * a berthd killed at any point never hands an address out twice, and the
 * start-up reconcile tears down every attachment whose run is gone.
 *
 * The container side (containers/networking.ts) calls attach at launch and
 * detach wherever a run is cleaned up; both are serialised per container
 * here and detach is idempotent.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, rm } from 'node:fs/promises'
import { createServer, isIPv4 } from 'node:net'
import { createSocket } from 'node:dgram'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { conflict, forbidden, invalid, noSuchNetwork, runtimeFailed } from '../errors.js'
import type { EventBus } from '../events/bus.js'
import { ensureDir, writeFileAtomic } from '../store/atomic.js'
import { candidateSubnets, cidrString, contains, firstHost, freeAddress, hostRoutes, ipToInt, overlaps, parseCidr, type Cidr } from './cidr.js'
import { keepBridge, sweepBridge } from './keeper.js'
import { macFor, makeNetns, pinBridgeMac, removeNetns, setup, teardown, type Endpoint, type NetnsIdmap, type PortMapping } from './netavark.js'
import { brokenNetworks, hostNetState, portsBroken } from './repair.js'
import { NetworkStore, type IpamConfig, type NetworkRecord } from './store.js'
import type { PortDriver } from './portdriver.js'

export type { PortMapping } from './netavark.js'

/** The names Docker predefines; bridge is a real network, host and none are modes. */
export const PREDEFINED = ['bridge', 'host', 'none']

/** A network as shown: stored bridges, and the predefined host and none. */
export interface NetworkShown { rec?: NetworkRecord, Name: string, Id: string, Driver: string, Created: string, Labels: Record<string, string> }

/** One run's hold on its networks. */
export interface Attachment { id: string, name: string, netns: string, endpoints: Record<string, Endpoint>, ports: PortMapping[] }

/** One network a container asks to be on: its aliases, and an address of its choosing (Docker's IPAMConfig.IPv4Address). */
export interface Wanted { network: string, aliases: string[], ip?: string }

/** What a container asks for at launch. */
export interface AttachRequest {
  id: string, name: string, networks: Wanted[], ports: PortMapping[]
  /** A remapped container's maps: its namespace is made owned by a user namespace with them (netavark.ts usernsFile). */
  idmap?: NetnsIdmap
}

/** One IPAM pool as clients send it: docker-py sends every key, null when unset (Go reads null as ""). */
export interface IpamRequest { Subnet?: string | null, Gateway?: string | null, IPRange?: string | null }

export interface CreateNetworkRequest {
  Name: string
  Driver?: string
  Internal?: boolean
  Labels?: Record<string, string> | null
  Options?: Record<string, string> | null
  IPAM?: { Driver?: string, Config?: IpamRequest[] | null } | null
  CheckDuplicate?: boolean
  EnableIPv6?: boolean
}

export interface NetworkOptions {
  /** berthd's root dir: the predefined networks' ids are derived from it. */
  root: string
  /** Where networks, attachments, netavark's config and the netns files live (store/layout.ts). */
  dirs: { store: string, attach: string, netavark: string, netns: string }
  /** The default bridge's subnet; the first free of Docker's pools when absent. */
  bridgeSubnet?: string
  /** Rootless berthd: published ports also go through rootlesskit's port driver, which opens them on the host. */
  portDriver?: PortDriver
  log: Logger
  events?: EventBus
  /** The containers' clean-ups going on in the background, which release their networking on the way (settled waits for them). */
  cleanups?: () => Promise<void>
}



export class Networks {
  private readonly store: NetworkStore
  private readonly byId = new Map<string, NetworkRecord>()
  private readonly attachments = new Map<string, Attachment>()
  /** Per container: the attach or detach in flight. */
  private readonly busy = new Map<string, Promise<unknown>>()
  /** Per container: its teardown running in the background (release). */
  private readonly ending = new Map<string, Promise<void>>()
  /** Leases are taken one at a time. */
  private leasing: Promise<unknown> = Promise.resolve()
  private readonly attachDir: string
  readonly configDir: string

  constructor (private readonly o: NetworkOptions) {
    this.store = new NetworkStore(o.dirs.store)
    this.attachDir = o.dirs.attach
    this.configDir = o.dirs.netavark
  }

  /** Loads the networks and the attachments, and makes the default bridge on the first start. */
  async init (): Promise<void> {
    for (const n of await this.store.loadAll()) this.byId.set(n.Id, n)
    await ensureDir(this.attachDir)
    await ensureDir(this.configDir)
    await ensureDir('/run/lock', 0o755) // netavark's host-wide lock (netavark.ts)
    for (const f of await readdir(this.attachDir)) {
      if (!f.endsWith('.json') || f.startsWith('.')) continue
      const a = JSON.parse(await readFile(join(this.attachDir, f), 'utf8')) as Attachment
      this.attachments.set(a.id, a)
    }
    if (this.byName('bridge') === undefined) {
      const subnet = this.o.bridgeSubnet ?? cidrString(await this.freeSubnet())
      await this.add({ Name: 'bridge', IPAM: { Config: [{ Subnet: subnet }] }, Options: { 'com.docker.network.bridge.default_bridge': 'true' } }, false)
    }
  }

  /**
   * At start-up: every attachment whose run is gone (`live` says which
   * containers have one) is torn down, and the live ones' lost setup
   * repaired.
   */
  async reconcile (live: (id: string) => boolean): Promise<void> {
    for (const id of [...this.attachments.keys()]) {
      if (live(id)) continue
      this.o.log.info({ container: id.slice(0, 12) }, 'network attachment of an ended run torn down')
      await this.detach(id).catch(err => this.o.log.error({ err, container: id.slice(0, 12) }, 'network teardown failed'))
    }
    await this.repair(live)
  }

  /**
   * Every running container (`live`) whose bridge, rules or DNAT the host
   * has lost (repair.ts: a firewall reload, a deleted bridge) is set up
   * again in its namespace with the same addresses; the others are not
   * touched. Gives the ids repaired. POST /networks/reconcile.
   */
  async repair (live: (id: string) => boolean): Promise<string[]> {
    const running = [...this.attachments.values()].filter(a => live(a.id) && Object.keys(a.endpoints).length > 0)
    if (running.length === 0) return []
    const users = new Map<string, number>()
    for (const ep of running.flatMap(a => Object.values(a.endpoints))) users.set(ep.networkId, (users.get(ep.networkId) ?? 0) + 1)
    const state = await hostNetState(this.list().filter(n => users.has(n.Id)).map(n => n.iface))
    const broken = brokenNetworks(this.list(), users, state)
    const repaired: string[] = []
    for (const a of running) {
      const eps = Object.values(a.endpoints)
      if (!eps.some(ep => broken.has(ep.networkId)) && !portsBroken(a.ports, eps, state)) continue
      await this.serial(a.id, () => this.reapply(a.id))
        .then(done => { if (done) repaired.push(a.id) })
        .catch(err => this.o.log.error({ err, container: a.id.slice(0, 12) }, 'network repair failed'))
    }
    return repaired
  }

  /** netavark teardown and setup again of a run's networks, in its namespace; false when it ended meanwhile. */
  private async reapply (id: string): Promise<boolean> {
    const a = this.attachments.get(id)
    if (a === undefined || Object.keys(a.endpoints).length === 0) return false
    this.o.log.warn({ container: id.slice(0, 12) }, 'network setup lost by the host: set up again')
    // The teardown removes what is left (the container's veth); it fails on what is gone already.
    await teardown(this.configDir, this.setupFile(id), a.netns, this.setupInput(a)).catch(() => {})
    await this.setupSome(a, Object.keys(a.endpoints))
    return true
  }

  // ---- lookups -----------------------------------------------------------------

  private byName (name: string): NetworkRecord | undefined { return [...this.byId.values()].find(n => n.Name === name) }

  /** Docker's order: full id, name, unique id prefix. 404 otherwise. */
  get (ref: string): NetworkRecord {
    const n = this.byId.get(ref) ?? this.byName(ref)
    if (n !== undefined) return n
    const hits = ref === '' ? [] : [...this.byId.values()].filter(x => x.Id.startsWith(ref))
    if (hits.length === 1) return hits[0]!
    if (hits.length > 1) throw invalid(`network ${ref} is ambiguous (${hits.length} matches found based on ID prefix)`)
    throw noSuchNetwork(ref)
  }

  list (): NetworkRecord[] { return [...this.byId.values()] }

  /** The stable id of the predefined host or none network (a mode, not stored): derived from the root, so it survives restarts. */
  predefinedId (name: string): string { return createHash('sha256').update(`${this.o.root}\0${name}`).digest('hex') }

  /** Every network as shown: the stored ones, then the predefined host and none. */
  shown (): NetworkShown[] {
    const stored: NetworkShown[] = this.list().map(rec => ({ rec, Name: rec.Name, Id: rec.Id, Driver: rec.Driver, Created: rec.Created, Labels: rec.Labels }))
    const created = stored.find(n => n.Name === 'bridge')?.Created ?? new Date(0).toISOString()
    return [...stored, ...['host', 'none'].map(name => ({ Name: name, Id: this.predefinedId(name), Driver: name === 'host' ? 'host' : 'null', Created: created, Labels: {} }))]
  }

  /** A network as shown, by id, name or unique id prefix (host and none too). */
  find (ref: string): NetworkShown {
    const all = this.shown()
    const n = all.find(x => x.Id === ref) ?? all.find(x => x.Name === ref)
    if (n !== undefined) return n
    const hits = ref === '' ? [] : all.filter(x => x.Id.startsWith(ref))
    if (hits.length === 1) return hits[0]!
    if (hits.length > 1) throw invalid(`network ${ref} is ambiguous (${hits.length} matches found based on ID prefix)`)
    throw noSuchNetwork(ref)
  }

  /** Docker's network prune: every user network no container is on, that passes the label and until filters. */
  async prune (keep: (n: NetworkRecord) => boolean): Promise<string[]> {
    const gone: string[] = []
    await this.settled()
    for (const n of this.list()) {
      if (n.Name === 'bridge' || this.usersOf(n.Id).length > 0 || keep(n)) continue
      await this.remove(n.Id)
      gone.push(n.Name)
    }
    return gone
  }

  /** The containers on network `id`, with their endpoints. */
  usersOf (id: string): Array<{ a: Attachment, name: string, ep: Endpoint }> {
    return [...this.attachments.values()].flatMap(a => Object.entries(a.endpoints).filter(([, ep]) => ep.networkId === id).map(([name, ep]) => ({ a, name, ep })))
  }

  attachment (id: string): Attachment | undefined { return this.attachments.get(id) }

  // ---- create / remove -------------------------------------------------------------

  async create (req: CreateNetworkRequest): Promise<NetworkRecord> {
    if (req.Name === '' || req.Name === undefined) throw invalid('network name is required')
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(req.Name)) throw invalid(`invalid network name "${req.Name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`)
    if (PREDEFINED.includes(req.Name)) throw forbidden(`${req.Name} is a pre-defined network and cannot be created`)
    const driver = req.Driver ?? 'bridge'
    if (driver !== 'bridge' && driver !== '') throw invalid(`plugin "${driver}" not found: berth supports the bridge driver only`)
    if (req.EnableIPv6 === true) throw invalid('EnableIPv6 is not supported: berth networks are IPv4 only')
    if (this.byName(req.Name) !== undefined) throw conflict(`network with name ${req.Name} already exists`)
    return await this.add(req, true)
  }

  private async add (req: CreateNetworkRequest, dns: boolean): Promise<NetworkRecord> {
    const asked = req.IPAM?.Config ?? []
    if (asked.length > 1) throw invalid('only one IPAM Config entry is supported')
    const config = asked.length === 0 ? { Subnet: cidrString(await this.freeSubnet()) } : asked[0]!
    const ipam = this.checkIpam(config)
    const Id = randomBytes(32).toString('hex')
    const n: NetworkRecord = {
      Name: req.Name, Id, Created: new Date().toISOString(), Driver: 'bridge', Internal: req.Internal === true,
      Labels: req.Labels ?? {}, Options: req.Options ?? {}, IPAM: { Driver: 'default', Options: {}, Config: [ipam] },
      iface: `br-${Id.slice(0, 12)}`, dns
    }
    await this.store.save(n)
    this.byId.set(Id, n)
    this.event(n, 'create')
    return n
  }

  /** Docker's checks of an IPAM config; fills in the gateway. */
  private checkIpam (c: IpamRequest): IpamConfig {
    if (c.Subnet === undefined || c.Subnet === null || c.Subnet === '') throw invalid('IPAM Config: a Subnet is required with a Gateway or IPRange')
    const subnet = parseCidr(c.Subnet)
    if (subnet === undefined) throw invalid(`invalid CIDR address: ${c.Subnet}`)
    if (subnet.bits > 30) throw invalid(`subnet ${c.Subnet} is too small: it has no room for a gateway and a container`)
    for (const n of this.byId.values()) {
      for (const other of n.IPAM.Config) {
        if (overlaps(subnet, parseCidr(other.Subnet)!)) throw forbidden(`Pool overlaps with other one on this address space`)
      }
    }
    const gw = c.Gateway ?? ''
    if (gw !== '' && (parseCidr(`${gw}/32`) === undefined || !contains(subnet, ipToInt(gw)))) throw invalid(`no matching subnet for gateway ${gw}`)
    const out: IpamConfig = { Subnet: cidrString(subnet), Gateway: gw !== '' ? gw : firstHost(subnet) }
    if (c.IPRange !== undefined && c.IPRange !== null && c.IPRange !== '') {
      const range = parseCidr(c.IPRange)
      if (range === undefined) throw invalid(`invalid CIDR address: ${c.IPRange}`)
      if (!contains(subnet, range.base) || range.bits < subnet.bits) throw invalid(`no matching subnet for range ${c.IPRange}`)
      out.IPRange = cidrString(range)
    }
    return out
  }

  /** The first of Docker's pools that overlaps no network of berth's and no route of the host's. */
  private async freeSubnet (): Promise<Cidr> {
    const routes = hostRoutes(await readFile('/proc/net/route', 'utf8').catch(() => ''))
    const used = [...routes, ...[...this.byId.values()].flatMap(n => n.IPAM.Config.map(c => parseCidr(c.Subnet)!))]
    for (const c of candidateSubnets()) if (!used.some(u => overlaps(u, c))) return c
    throw invalid('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network')
  }

  /** Docker's network rm: 403 for the predefined ones, 409 while a container is on it. */
  async remove (ref: string): Promise<void> {
    if (ref === 'host' || ref === 'none') throw forbidden(`${ref} is a pre-defined network and cannot be removed`)
    const n = this.get(ref)
    if (n.Name === 'bridge') throw forbidden('bridge is a pre-defined network and cannot be removed')
    // `docker rm -f c && docker network rm n`: c's teardown may still be running.
    await this.settled(n.Id)
    const users = this.usersOf(n.Id)
    if (users.length > 0) throw conflict(`error while removing network: network ${n.Name} id ${n.Id} has active endpoints`)
    await this.sweep(n)
    await this.store.remove(n.Id)
    this.byId.delete(n.Id)
    this.event(n, 'destroy')
  }

  /**
   * Removes `n`'s bridge and rules (keeper.ts) while no lease can be taken:
   * a failure is logged, it does not keep the network.
   */
  private async sweep (n: NetworkRecord): Promise<void> {
    const scratch = (id: string): { netns: string, file: string } => ({ netns: this.netnsPath(id), file: this.setupFile(id) })
    await this.leased(async () => { if (this.usersOf(n.Id).length === 0) await sweepBridge(n, this.configDir, scratch) })
      .catch(err => this.o.log.error({ err, network: n.Name }, 'the bridge and its rules could not be removed'))
  }

  /**
   * At shutdown: waits for the background teardowns, then removes the
   * bridges no container is on. Those with containers stay, for the next
   * berthd (and the last container's teardown removes them then).
   */
  async close (): Promise<void> {
    await this.settled()
    for (const n of this.list()) if (this.usersOf(n.Id).length === 0) await this.sweep(n)
  }

  /** Emits Docker's network event. */
  event (n: NetworkRecord, action: string, extra: Record<string, string> = {}): void {
    this.o.events?.emit({ Type: 'network', Action: action, Actor: { ID: n.Id, Attributes: { name: n.Name, type: n.Driver, ...extra } } })
  }

  // ---- attach / detach -----------------------------------------------------------

  private serial<T> (id: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.busy.get(id) ?? Promise.resolve()).catch(() => {}).then(fn)
    this.busy.set(id, next)
    void next.catch(() => {}).then(() => { if (this.busy.get(id) === next) this.busy.delete(id) })
    return next
  }

  private attachPath (id: string): string { return join(this.attachDir, `${id}.json`) }
  private netnsPath (id: string): string { return join(this.o.dirs.netns, id) }

  /**
   * Leases an address on each network and makes the namespace: gives the
   * attachment (the namespace's path goes into the spec) and `ready`, the
   * netavark setup, which goes on meanwhile: the runtime's create needs
   * the namespace only, so the two overlap. On any failure nothing is
   * left; a detach waits for the setup (serial).
   */
  async attach (req: AttachRequest): Promise<{ a: Attachment, ready: Promise<void> }> {
    const a = await this.serial(req.id, async () => {
      if (this.attachments.has(req.id)) await this.detachNow(req.id)
      const networks = req.networks.map(w => ({ ...w, n: this.get(w.network) }))
      const a = await this.lease(req, networks)
      await makeNetns(a.netns, req.idmap).catch(async (err: unknown) => { await this.detachNow(a.id).catch(() => {}); throw err })
      return a
    })
    const ready = this.serial(req.id, async () => {
      try {
        // A container disconnected from every network keeps a namespace with loopback only (as in Docker).
        if (Object.keys(a.endpoints).length > 0) await this.setupSome(a, Object.keys(a.endpoints))
        const ip = Object.values(a.endpoints)[0]?.ip
        if (this.o.portDriver !== undefined && a.ports.length > 0 && ip !== undefined) await this.o.portDriver.add(ip, a.ports)
      } catch (err) {
        await this.detachNow(a.id).catch(() => {})
        throw err
      }
      for (const ep of Object.values(a.endpoints)) this.event(this.byId.get(ep.networkId)!, 'connect', { container: a.id })
    })
    ready.catch(() => {}) // the caller's to handle; a failed prepare leaves it unawaited
    return { a, ready }
  }

  /** Takes one address per network and writes the attachment, one container at a time, before anything uses them. */
  private async lease (req: AttachRequest, networks: Array<Wanted & { n: NetworkRecord }>): Promise<Attachment> {
    return await this.leased(async () => {
      await this.checkPorts(req.ports)
      const a: Attachment = { id: req.id, name: req.name, netns: this.netnsPath(req.id), endpoints: {}, ports: req.ports }
      for (const w of networks) a.endpoints[w.n.Name] = this.endpoint(a, w.n, w)
      await writeFileAtomic(this.attachPath(a.id), JSON.stringify(a))
      this.attachments.set(a.id, a)
      return a
    })
  }

  /** Runs `fn` after every other lease: two containers never take the same address. */
  private async leased<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.leasing.catch(() => {}).then(fn)
    this.leasing = run
    return await run
  }

  /** A new endpoint of `a` on `n`: the address asked for, or the lowest free one; the next free ethN. */
  private endpoint (a: Attachment, n: NetworkRecord, w: Wanted): Endpoint {
    const c = n.IPAM.Config[0]!
    const subnet = parseCidr(c.Subnet)!
    const taken = new Set([c.Gateway, ...this.usersOf(n.Id).map(u => u.ep.ip), ...Object.values(a.endpoints).filter(ep => ep.networkId === n.Id).map(ep => ep.ip)])
    let ip = w.ip
    if (ip !== undefined) {
      this.checkAddress(n, ip)
      if (taken.has(ip)) throw forbidden(`Address already in use: ${ip} on network ${n.Name}`)
    } else {
      ip = freeAddress(subnet, c.IPRange !== undefined ? parseCidr(c.IPRange)! : subnet, taken)
      if (ip === undefined) throw invalid(`no available IPv4 addresses on this network's address pools: ${n.Name} (${n.Id})`)
    }
    const ifaces = new Set(Object.values(a.endpoints).map(ep => ep.iface))
    let i = 0
    while (ifaces.has(`eth${i}`)) i++
    return { networkId: n.Id, ip, prefixLen: subnet.bits, gateway: c.Gateway, mac: macFor(ip), aliases: n.dns ? [...new Set([a.id.slice(0, 12), ...w.aliases])] : [], iface: `eth${i}` }
  }

  /**
   * Docker's checks of an address a container asks for: user networks only,
   * inside the subnet, not its network, broadcast or gateway address.
   */
  checkAddress (n: NetworkRecord, ip: string): void {
    if (n.Name === 'bridge') throw invalid('user specified IP address is supported on user defined networks only')
    const c = n.IPAM.Config[0]!
    const subnet = parseCidr(c.Subnet)!
    if (!isIPv4(ip)) throw invalid(`invalid IPv4 address: ${ip}`)
    const free = freeAddress(subnet, parseCidr(`${ip}/32`)!, new Set([c.Gateway]))
    if (free !== ip) throw invalid(`no configured subnet or ip-range contain the IP address ${ip}`)
  }

  /** netavark setup of the networks `names` of `a` (already in its lease); records the MACs it made. */
  private async setupSome (a: Attachment, names: string[]): Promise<void> {
    const input = this.setupInput(a, names)
    const status = await setup(this.configDir, this.setupFile(a.id), a.netns, input)
    for (const name of names) {
      const iface = input.networks[name]!.iface
      await pinBridgeMac(iface)
      await keepBridge(iface).catch(err => this.o.log.warn({ err, network: name }, 'the bridge is not kept between containers'))
    }
    for (const name of names) a.endpoints[name]!.mac = status[name]?.interfaces?.[a.endpoints[name]!.iface]?.mac_address ?? a.endpoints[name]!.mac
    await writeFileAtomic(this.attachPath(a.id), JSON.stringify(a))
  }

  /**
   * Docker's network connect of a container with a run: a lease on `w`'s
   * network, and netavark setup of that network alone in the run's
   * namespace. False when the container has no run (its record is what
   * changes: the next run is set up with it). 403 when already on it.
   */
  async connect (id: string, w: Wanted): Promise<boolean> {
    return await this.serial(id, async () => {
      const a = this.attachments.get(id)
      if (a === undefined) return false
      const n = this.get(w.network)
      if (a.endpoints[n.Name] !== undefined) throw forbidden(`endpoint with name ${a.name} already exists in network ${n.Name}`)
      await this.leased(async () => {
        a.endpoints[n.Name] = this.endpoint(a, n, w)
        await writeFileAtomic(this.attachPath(a.id), JSON.stringify(a))
      })
      try {
        await this.setupSome(a, [n.Name])
      } catch (err) {
        await this.teardownSome(a, [n.Name])
        throw err
      }
      this.event(n, 'connect', { container: id })
      return true
    })
  }

  /**
   * Docker's network disconnect of a container with a run: netavark
   * teardown of that network alone, then its lease goes. Says whether the
   * container had a run and whether it was on the network.
   */
  async disconnect (id: string, name: string): Promise<'done' | 'no-run' | 'not-on-it'> {
    return await this.serial(id, async () => {
      const a = this.attachments.get(id)
      if (a === undefined) return 'no-run'
      const ep = a.endpoints[name]
      if (ep === undefined) return 'not-on-it'
      await this.teardownSome(a, [name])
      const n = this.byId.get(ep.networkId)
      if (n !== undefined) this.event(n, 'disconnect', { container: id })
      return 'done'
    })
  }

  /** netavark teardown of the networks `names` of `a`, then their leases go. */
  private async teardownSome (a: Attachment, names: string[]): Promise<void> {
    await teardown(this.configDir, this.setupFile(a.id), a.netns, this.setupInput(a, names))
      .catch(err => this.o.log.info({ err, container: a.id.slice(0, 12) }, 'netavark teardown reported a failure'))
    for (const name of names) Reflect.deleteProperty(a.endpoints, name)
    await writeFileAtomic(this.attachPath(a.id), JSON.stringify(a))
  }

  /**
   * A host port another container publishes, or that a process of the host
   * listens on, is refused (Docker's messages): DNAT alone would steal it.
   */
  private async checkPorts (ports: PortMapping[]): Promise<void> {
    const published = [...this.attachments.values()].flatMap(a => a.ports)
    for (const p of ports) {
      const clash = published.find(q => q.protocol === p.protocol && q.host_port === p.host_port && (q.host_ip === '' || p.host_ip === '' || q.host_ip === p.host_ip))
      const shownIp = p.host_ip === '' ? '0.0.0.0' : p.host_ip
      if (clash !== undefined) throw runtimeFailed(`driver failed programming external connectivity: Bind for ${shownIp}:${p.host_port} failed: port is already allocated`)
      const free = await portFree(p)
      if (!free) throw runtimeFailed(`driver failed programming external connectivity: listen ${p.protocol} ${shownIp}:${p.host_port}: bind: address already in use`)
    }
  }

  private setupFile (id: string): string { return join(this.attachDir, `.${id}.netavark.json`) }

  /** netavark's input for `a`, or for its networks `names` only (a connect or disconnect of one network). */
  private setupInput (a: Attachment, names = Object.keys(a.endpoints)): Parameters<typeof setup>[3] {
    const networks: Record<string, NetworkRecord> = {}
    const endpoints: Record<string, Endpoint> = {}
    for (const name of names) {
      const ep = endpoints[name] = a.endpoints[name]!
      // A network removed meanwhile (it cannot be while in use, but a hand-edited store could) is torn down from what the lease says.
      networks[name] = this.byId.get(ep.networkId) ?? {
        Name: name, Id: ep.networkId, Created: '', Driver: 'bridge', Internal: false, Labels: {}, Options: {},
        IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: `${ep.ip}/${ep.prefixLen}`, Gateway: ep.gateway }] }, iface: `br-${ep.networkId.slice(0, 12)}`, dns: false
      }
    }
    return { id: a.id, name: a.name, endpoints, networks, ports: a.ports }
  }

  /** Tears a container's networking down; nothing when it has none. */
  async detach (id: string): Promise<void> { await this.serial(id, () => this.detachNow(id)) }

  /**
   * Tears a run's networking down in the background: a run's end (and so
   * `docker run --rm`, stop, rm) does not wait for netavark. The lease (the
   * attachment file) stays until the teardown is done, so its address and
   * host ports are not handed out meanwhile; a next run of the same
   * container waits for it (serial); a berthd that dies first finishes it
   * at start-up (reconcile). Network removal and shutdown wait for them.
   */
  release (id: string): void {
    const p: Promise<void> = this.detach(id)
      .catch(err => this.o.log.error({ err, container: id.slice(0, 12) }, 'network teardown failed'))
      .finally(() => { if (this.ending.get(id) === p) this.ending.delete(id) })
    this.ending.set(id, p)
  }

  /** Waits for the containers' background clean-ups, then for the teardowns: all, or those of the containers on network `networkId`. */
  async settled (networkId?: string): Promise<void> {
    await this.o.cleanups?.()
    const on = (id: string): boolean => networkId === undefined || Object.values(this.attachments.get(id)?.endpoints ?? {}).some(ep => ep.networkId === networkId)
    await Promise.all([...this.ending].filter(([id]) => on(id)).map(([, p]) => p))
  }

  private async detachNow (id: string): Promise<void> {
    const a = this.attachments.get(id)
    if (a === undefined) return
    const events = Object.values(a.endpoints).map(ep => this.byId.get(ep.networkId)).filter(n => n !== undefined)
    const ip = Object.values(a.endpoints)[0]?.ip
    if (this.o.portDriver !== undefined && a.ports.length > 0 && ip !== undefined) {
      await this.o.portDriver.remove(ip).catch(err => this.o.log.error({ err, container: id.slice(0, 12) }, 'rootlesskit port removal failed'))
    }
    // netavark's teardown of a setup that never ran (or ran halfway) fails; what it could remove is gone either way.
    if (Object.keys(a.endpoints).length > 0) {
      await teardown(this.configDir, this.setupFile(id), a.netns, this.setupInput(a))
        .catch(err => this.o.log.info({ err, container: id.slice(0, 12) }, 'netavark teardown reported a failure'))
    }
    await removeNetns(a.netns)
    await rm(this.setupFile(id), { force: true })
    await rm(this.attachPath(id), { force: true })
    this.attachments.delete(id)
    for (const n of events) this.event(n, 'disconnect', { container: id })
  }
}

/** Whether nothing on the host listens on `p`'s host address and port. */
async function portFree (p: PortMapping): Promise<boolean> {
  const host = p.host_ip === '' ? '0.0.0.0' : p.host_ip
  return await new Promise(resolve => {
    if (p.protocol === 'udp') {
      const s = createSocket('udp4')
      s.once('error', () => { s.close(); resolve(false) })
      s.bind(p.host_port, host, () => s.close(() => resolve(true)))
      return
    }
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen({ port: p.host_port, host, exclusive: true }, () => s.close(() => resolve(true)))
  })
}

/** A free TCP/UDP port the kernel picks, for `-p` without a host port. */
export async function randomPort (host: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen({ port: 0, host: host === '' ? '0.0.0.0' : host }, () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}
