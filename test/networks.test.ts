/**
 * Networks through real netavark and aardvark-dns: the default bridge, user
 * networks whose names resolve, -p publishing on 127.0.0.1, Docker's
 * refusals, and networking that outlives a berthd SIGKILL. The tests reach
 * only 127.0.0.1 and the containers they start, on subnets of their own;
 * the harness checks that no lease, bridge, netns or rule is left.
 */
import t from 'tap'
import { createServer } from 'node:net'
import { importBusybox, startDaemon, subnetFor, until } from './helpers.js'
import { execOut, freePort, httpGet, HTTPD, runOnce, start } from './network-helpers.js'

const fetchText = async (url: string): Promise<string> => { const r = await fetch(url); return await r.text() }

t.test('the default bridge: an address, inspect, and a port published on 127.0.0.1', async t => {
  const d = await startDaemon(t)
  await importBusybox(d)
  const nets = await d.req('GET', '/networks')
  t.same((nets.body as Array<{ Name: string }>).map(n => n.Name).sort(), ['bridge', 'host', 'none'])
  const bridge = await d.req('GET', '/networks/bridge')
  t.equal(bridge.body.IPAM.Config[0].Subnet, subnetFor(d.dir, 200))
  const port = await freePort()
  const id = await start(d, 'web', HTTPD, { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } })
  const ins = await d.req('GET', `/containers/${id}/json`)
  const ns = ins.body.NetworkSettings
  t.match(ns.IPAddress, /^10\.\d+\.\d+\.\d+$/, 'an address on the default bridge')
  t.equal(ns.Gateway, bridge.body.IPAM.Config[0].Gateway)
  t.match(ns.MacAddress, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/)
  t.match(ns.SandboxKey, /networks\/netns\//)
  t.same(ns.Ports['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(port) }])
  t.equal(ns.Networks.bridge.IPAddress, ns.IPAddress)
  const onNet = await d.req('GET', '/networks/bridge')
  t.ok(onNet.body.Containers[id], 'the network lists the container')
  await until(async () => (await fetchText(`http://127.0.0.1:${port}/hostname`).catch(() => '')).trim() === id.slice(0, 12), 10_000, 'httpd answers on the published port')
  // /etc/hosts names the container by its address.
  const hosts = await runOnce(d, ['cat', '/etc/hosts'])
  t.match(hosts.out, /10\.\d+\.\d+\.\d+\s+[0-9a-f]{12}/)

  // The same host port again: Docker's "port is already allocated". berth's runtime create (and so the
  // network's setup) runs at create, so the create is refused, and nothing is left of it.
  const c2 = await d.req('POST', '/containers/create?name=web2', { Image: 'bb', Cmd: HTTPD, HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } } })
  t.equal(c2.status, 500)
  t.match(c2.body.message, `Bind for 127.0.0.1:${port} failed: port is already allocated`)
  t.equal((await d.req('GET', '/containers/web2/json')).status, 404)

  // Stopped: the lease and the rules go; the port answers no more.
  t.equal((await d.req('POST', `/containers/${id}/stop?t=1`)).status, 204)
  await until(async () => Object.keys((await d.req('GET', '/networks/bridge')).body.Containers).length === 0, 10_000, 'no container left on the bridge')
  await t.rejects(fetch(`http://127.0.0.1:${port}/hostname`, { signal: AbortSignal.timeout(2000) }), 'nothing answers once stopped')

  // A host port a process of the host holds is refused too.
  const held = createServer()
  await new Promise<void>(resolve => held.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { held.close() })
  const heldPort = (held.address() as { port: number }).port
  const s3 = await d.req('POST', '/containers/create?name=web3', { Image: 'bb', Cmd: HTTPD, HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(heldPort) }] } } })
  t.equal(s3.status, 500)
  t.match(s3.body.message, 'address already in use')
})

t.test('a user network: names and aliases resolve through aardvark-dns; rm is refused while in use', async t => {
  const d = await startDaemon(t)
  await importBusybox(d)
  const subnet = subnetFor(`${d.dir}/user`)
  const created = await d.req('POST', '/networks/create', { Name: 'appnet', Labels: { tier: 'test' }, IPAM: { Config: [{ Subnet: subnet }] } })
  t.equal(created.status, 201)
  const id = created.body.Id as string
  t.match(id, /^[0-9a-f]{64}$/)
  const web = await start(d, 'web', HTTPD, { NetworkMode: 'appnet' }, { NetworkingConfig: { EndpointsConfig: { appnet: { Aliases: ['webalias'] } } } })
  const ins = await d.req('GET', `/containers/${web}/json`)
  t.equal(ins.body.NetworkSettings.Networks.appnet.NetworkID, id)
  t.equal(ins.body.NetworkSettings.IPAddress, '', 'IPAddress is the default bridge\'s only, as in Docker')
  t.ok(ins.body.NetworkSettings.Networks.appnet.Aliases.includes('webalias'))
  for (const name of ['web', 'webalias']) {
    const got = await runOnce(d, httpGet(name), { NetworkMode: 'appnet' })
    t.equal(got.code, 0, `a GET by ${name} from another container`)
    t.equal(got.out.trim().split('\n').at(-1)?.trim(), web.slice(0, 12))
  }
  // On the default bridge names do not resolve (as in Docker): its resolvers are the host's, not aardvark-dns
  // (asking them for `web` would send a query off the machine).
  const gateway = (await d.req('GET', '/networks/appnet')).body.IPAM.Config[0].Gateway as string
  t.notMatch((await runOnce(d, ['cat', '/etc/resolv.conf'])).out, gateway)
  t.match((await runOnce(d, ['cat', '/etc/resolv.conf'], { NetworkMode: 'appnet' })).out, `nameserver ${gateway}`)

  const listed = await d.req('GET', `/networks?filters=${encodeURIComponent(JSON.stringify({ label: ['tier=test'] }))}`)
  t.same((listed.body as Array<{ Name: string }>).map(n => n.Name), ['appnet'])
  const custom = await d.req('GET', `/networks?filters=${encodeURIComponent(JSON.stringify({ type: ['custom'] }))}`)
  t.same((custom.body as Array<{ Name: string }>).map(n => n.Name), ['appnet'])
  const inUse = await d.req('DELETE', '/networks/appnet')
  t.equal(inUse.status, 409)
  t.match(inUse.body.message, 'has active endpoints')
  const pruned = await d.req('POST', '/networks/prune')
  t.same(pruned.body.NetworksDeleted, [], 'prune keeps a network in use')
  await d.req('DELETE', `/containers/${web}?force=1`)
  t.equal((await d.req('DELETE', '/networks/appnet')).status, 204)
  t.equal((await d.req('GET', `/networks/${id}`)).status, 404)
  // A network named in NetworkMode must exist.
  const missing = await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['true'], HostConfig: { NetworkMode: 'nosuchnet' } })
  t.equal(missing.status, 404)
  t.match(missing.body.message, 'network nosuchnet not found')
})

t.test('network create and rm: Docker\'s refusals', async t => {
  const d = await startDaemon(t)
  const subnet = subnetFor(`${d.dir}/a`)
  const cases: Array<[string, Record<string, unknown>, number, string]> = [
    ['bad CIDR', { Name: 'x1', IPAM: { Config: [{ Subnet: '10.1.2.300/24' }] } }, 400, 'invalid CIDR address: 10.1.2.300/24'],
    ['gateway outside', { Name: 'x2', IPAM: { Config: [{ Subnet: subnet, Gateway: '192.0.2.77' }] } }, 400, 'no matching subnet for gateway 192.0.2.77'],
    ['range outside', { Name: 'x3', IPAM: { Config: [{ Subnet: subnet, IPRange: '192.0.2.0/28' }] } }, 400, 'no matching subnet for range'],
    ['another driver', { Name: 'x4', Driver: 'overlay' }, 400, 'plugin "overlay" not found'],
    ['a predefined name', { Name: 'host' }, 403, 'pre-defined network'],
    ['overlapping the default bridge', { Name: 'x5', IPAM: { Config: [{ Subnet: subnetFor(d.dir, 200) }] } }, 403, 'Pool overlaps with other one on this address space']
  ]
  for (const [what, body, status, message] of cases) {
    const r = await d.req('POST', '/networks/create', body)
    t.equal(r.status, status, what)
    t.match(r.body.message, message, what)
  }
  t.equal((await d.req('POST', '/networks/create', { Name: 'one', IPAM: { Config: [{ Subnet: subnet }] } })).status, 201)
  const again = await d.req('POST', '/networks/create', { Name: 'one' })
  t.equal(again.status, 409)
  t.match(again.body.message, 'network with name one already exists')
  for (const name of ['bridge', 'host', 'none']) {
    const r = await d.req('DELETE', `/networks/${name}`)
    t.equal(r.status, 403, `${name} cannot be removed`)
  }
  t.equal((await d.req('GET', '/networks')).body.length, 4, 'nothing half-made by the refusals')
  const pruned = await d.req('POST', '/networks/prune')
  t.same(pruned.body.NetworksDeleted, ['one'])
})

t.test('a full subnet: the next container is refused, and nothing is left of it', async t => {
  const d = await startDaemon(t)
  await importBusybox(d)
  const base = subnetFor(`${d.dir}/full`).replace(/\.0\/24$/, '')
  // A /30: the gateway and one container.
  t.equal((await d.req('POST', '/networks/create', { Name: 'tiny', IPAM: { Config: [{ Subnet: `${base}.0/30` }] } })).status, 201)
  await start(d, 'c1', ['sleep', '30'], { NetworkMode: 'tiny' })
  const r = await d.req('POST', '/containers/create?name=c2', { Image: 'bb', Cmd: ['sleep', '30'], HostConfig: { NetworkMode: 'tiny' } })
  t.equal(r.status, 400)
  t.match(r.body.message, 'no available IPv4 addresses')
  t.equal((await d.req('GET', '/containers/c2/json')).status, 404)
})

t.test('berthd SIGKILLed: published ports keep working, and after the restart no lease is duplicated or lost', async t => {
  let d = await startDaemon(t)
  await importBusybox(d)
  const port = await freePort()
  const web = await start(d, 'web', HTTPD, { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } })
  const ip = (await d.req('GET', `/containers/${web}/json`)).body.NetworkSettings.IPAddress as string
  await until(async () => (await fetchText(`http://127.0.0.1:${port}/hostname`).catch(() => '')).trim() === web.slice(0, 12), 10_000, 'httpd answers')
  await d.stop('SIGKILL')
  t.equal((await fetchText(`http://127.0.0.1:${port}/hostname`)).trim(), web.slice(0, 12), 'answers while berthd is down')
  d = await d.restart()
  t.equal((await fetchText(`http://127.0.0.1:${port}/hostname`)).trim(), web.slice(0, 12), 'answers after the restart')
  const again = (await d.req('GET', `/containers/${web}/json`)).body.NetworkSettings
  t.equal(again.IPAddress, ip, 'the lease is kept')
  const other = await start(d, 'other', ['sleep', '30'])
  const otherIp = (await d.req('GET', `/containers/${other}/json`)).body.NetworkSettings.IPAddress as string
  t.not(otherIp, ip, 'a new container does not get the kept address')
  // Restarted through its policy-free restart: set up again, same port.
  t.equal((await d.req('POST', `/containers/${web}/restart?t=1`)).status, 204)
  await until(async () => (await fetchText(`http://127.0.0.1:${port}/hostname`).catch(() => '')).trim() === web.slice(0, 12), 10_000, 'answers after docker restart')
})

t.test('none, host and container:<name>', async t => {
  const d = await startDaemon(t)
  await importBusybox(d)
  const none = await runOnce(d, ['ip', '-o', 'link'], { NetworkMode: 'none' })
  t.notMatch(none.out, /eth0/, 'none: loopback only')
  const owner = await start(d, 'sandbox', ['sleep', '60'])
  const ownerIp = (await d.req('GET', `/containers/${owner}/json`)).body.NetworkSettings.IPAddress as string
  const joined = await runOnce(d, ['ip', '-o', '-4', 'addr'], { NetworkMode: 'container:sandbox' })
  t.match(joined.out, ownerIp, 'container: shares the other container\'s namespace')
  // And its /etc/hosts, /etc/resolv.conf and hostname, as Docker's (moby initializeNetworkingPaths).
  const etc = ['sh', '-c', 'hostname; cat /etc/hostname /etc/hosts /etc/resolv.conf']
  const ownerEtc = await execOut(d, owner, etc)
  t.match(ownerEtc, `${ownerIp}\t${owner.slice(0, 12)}`)
  t.equal((await runOnce(d, etc, { NetworkMode: 'container:sandbox' })).out, ownerEtc, 'the same names and resolvers')
  await d.req('POST', '/containers/create?name=stopped', { Image: 'bb', Cmd: ['true'] })
  const r = await d.req('POST', '/containers/create?name=joiner', { Image: 'bb', Cmd: ['true'], HostConfig: { NetworkMode: 'container:stopped' } })
  t.equal(r.status, 409)
  t.match(r.body.message, 'cannot join network namespace of a non running container')
})

t.test('a restart policy\'s restarts set the networking up again, and its end tears it down', async t => {
  const d = await startDaemon(t)
  await importBusybox(d)
  const id = await start(d, 'flaky', ['sh', '-c', 'ls /sys/class/net | tr "\\n" " "; echo; exit 1'], { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } })
  await until(async () => {
    const s = (await d.req('GET', `/containers/${id}/json`)).body
    return s.State.Status === 'exited' && s.RestartCount === 2
  }, 30_000, 'two restarts, then exited')
  const logs = (await d.req('GET', `/containers/${id}/logs?stdout=1`)).raw.toString()
  t.equal(logs.match(/eth0 lo/g)?.length, 3, 'every run had its eth0')
  await until(async () => Object.keys((await d.req('GET', '/networks/bridge')).body.Containers).length === 0, 10_000, 'nothing left on the bridge')
})

t.test('network connect is kept in the record: an exited container gets it at start, also after a berthd restart; Docker\'s refusals', async t => {
  let d = await startDaemon(t)
  await importBusybox(d)
  const subnet = subnetFor(`${d.dir}/keep`)
  t.equal((await d.req('POST', '/networks/create', { Name: 'keep', IPAM: { Config: [{ Subnet: subnet }] } })).status, 201)
  const c = await d.req('POST', '/containers/create?name=later', { Image: 'bb', Cmd: ['sh', '-c', 'ls /sys/class/net | tr "\\n" " "; echo'], Tty: true })
  const id = c.body.Id as string
  t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
  await d.req('POST', `/containers/${id}/wait`)
  const conn = await d.req('POST', '/networks/keep/connect', { Container: 'later', EndpointConfig: { Aliases: ['kept'] } })
  t.equal(conn.status, 200, JSON.stringify(conn.body))
  const exited = (await d.req('GET', `/containers/${id}/json`)).body.NetworkSettings.Networks
  t.same(Object.keys(exited).sort(), ['bridge', 'keep'], 'an exited container lists both networks')
  t.same(exited.keep.Aliases, ['kept'])
  await d.stop()
  d = await d.restart()
  t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
  await d.req('POST', `/containers/${id}/wait`)
  t.match((await d.req('GET', `/containers/${id}/logs?stdout=1`)).raw.toString(), /eth0 eth1 lo/, 'the next run has both networks')
  // Disconnected from the bridge while exited: the next run is on keep only.
  t.equal((await d.req('POST', '/networks/bridge/disconnect', { Container: id })).status, 200)
  const notOn = await d.req('POST', '/networks/bridge/disconnect', { Container: id })
  t.equal(notOn.status, 400)
  t.match(notOn.body.message, `container ${id} is not connected to the network bridge`)
  t.equal((await d.req('POST', `/containers/${id}/start`)).status, 204)
  await d.req('POST', `/containers/${id}/wait`)
  t.match((await d.req('GET', `/containers/${id}/logs?stdout=1`)).raw.toString(), /eth0 eth1 lo\s+eth0 lo/)
  const ins = (await d.req('GET', `/containers/${id}/json`)).body.NetworkSettings.Networks
  t.same(Object.keys(ins), ['keep'])

  const none = await d.req('POST', '/containers/create?name=lonely', { Image: 'bb', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } })
  const r = await d.req('POST', '/networks/keep/connect', { Container: none.body.Id })
  t.equal(r.status, 400)
  t.match(r.body.message, 'container cannot be connected to multiple networks with one of the networks in private (none) mode')
  const toHost = await d.req('POST', '/networks/host/connect', { Container: id })
  t.match(toHost.body.message, 'cannot connect container to host network - container must be created in host network mode')
  const outside = await d.req('POST', '/networks/keep/connect', { Container: 'lonely', EndpointConfig: { IPAMConfig: { IPv4Address: '192.0.2.9' } } })
  t.equal(outside.status, 400)
  const missing = await d.req('POST', '/networks/nosuch/connect', { Container: id })
  t.equal(missing.status, 404)
  await d.req('DELETE', `/containers/${id}?force=1`)
  await d.req('DELETE', `/containers/${none.body.Id as string}?force=1`)
  t.equal((await d.req('DELETE', '/networks/keep')).status, 204)
})

t.test('an Internal network has no way out: no default route, another network unreachable', async t => {
  const d = await startDaemon(t)
  await importBusybox(d)
  t.equal((await d.req('POST', '/networks/create', { Name: 'inside', Internal: true, IPAM: { Config: [{ Subnet: subnetFor(`${d.dir}/in`) }] } })).status, 201)
  t.equal((await d.req('POST', '/networks/create', { Name: 'outside', IPAM: { Config: [{ Subnet: subnetFor(`${d.dir}/out`) }] } })).status, 201)
  const web = await start(d, 'web', HTTPD, { NetworkMode: 'outside' })
  const webIp = (await d.req('GET', `/containers/${web}/json`)).body.NetworkSettings.Networks.outside.IPAddress as string
  const fromOutside = await runOnce(d, ['sh', '-c', `ip route; printf 'GET /hostname HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${webIp} 80`], { NetworkMode: 'outside' })
  t.match(fromOutside.out, /^default via/m, 'a normal network has a default route')
  t.match(fromOutside.out, web.slice(0, 12))
  const fromInside = await runOnce(d, ['sh', '-c', `ip route; printf 'GET /hostname HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${webIp} 80`], { NetworkMode: 'inside' })
  t.notMatch(fromInside.out, /default/, 'no default route on an Internal network')
  t.notMatch(fromInside.out, web.slice(0, 12), 'the other network\'s container is not reached')
  t.equal((await d.req('GET', '/networks/inside')).body.Internal, true)
  await d.req('DELETE', `/containers/${web}?force=1`)
})
