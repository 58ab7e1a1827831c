/**
 * `docker network` and port publishing through the real docker client:
 * network create/ls/inspect/rm, run --network --network-alias, -p with a
 * given and a random host port, -P with EXPOSE, `docker port`, ps PORTS.
 * Only 127.0.0.1 and the test's own containers are reached.
 */
import t from 'tap'
import { execa } from 'execa'
import { DOCKER, dockerEnv, dockerTest, importBusybox, startDaemon, subnetFor, until, type Daemon } from './helpers.js'

function docker (d: Daemon, args: string[]) {
  return execa(DOCKER, args, { env: dockerEnv(d), input: '', reject: false, timeout: 30_000, killSignal: 'SIGKILL' })
}

const HTTPD = ['httpd', '-f', '-p', '80', '-h', '/etc']
const get = async (port: string): Promise<string> => await (await fetch(`http://127.0.0.1:${port}/hostname`)).text().catch(() => '')

dockerTest(t, 'docker network and -p through the docker client', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const subnet = subnetFor(`${d.dir}/cli`)

  const created = await docker(d, ['network', 'create', '--subnet', subnet, '--label', 'k=v', 'shop'])
  t.equal(created.exitCode, 0, created.stderr)
  const ls = await docker(d, ['network', 'ls', '--format', '{{.Name}} {{.Driver}}'])
  t.same(ls.stdout.split('\n').sort(), ['bridge bridge', 'host host', 'none null', 'shop bridge'])
  const ins = await docker(d, ['network', 'inspect', 'shop', '--format', '{{(index .IPAM.Config 0).Subnet}} {{.Labels.k}}'])
  t.equal(ins.stdout, `${subnet} v`, ins.stderr)
  const dup = await docker(d, ['network', 'create', 'shop'])
  t.not(dup.exitCode, 0)
  t.match(dup.stderr, 'network with name shop already exists')

  const web = await docker(d, ['run', '-d', '--name', 'web', '--network', 'shop', '--network-alias', 'store', '-p', '127.0.0.1::80', 'bb', ...HTTPD])
  t.equal(web.exitCode, 0, web.stderr)
  const port = await docker(d, ['port', 'web', '80'])
  t.match(port.stdout, /^127\.0\.0\.1:\d+$/, 'a random host port, shown by docker port')
  const hostPort = port.stdout.split(':')[1]!
  await until(async () => (await get(hostPort)).trim() === web.stdout.slice(0, 12), 10_000, 'httpd answers on the random port')
  const ps = await docker(d, ['ps', '--format', '{{.Names}} {{.Ports}}'])
  t.equal(ps.stdout, `web 127.0.0.1:${hostPort}->80/tcp`)
  const byAlias = await docker(d, ['run', '--rm', '--network', 'shop', 'bb', 'sh', '-c', 'printf "GET /hostname HTTP/1.0\\r\\n\\r\\n" | nc -w 5 store 80 | tail -1'])
  t.equal(byAlias.stdout.trim(), web.stdout.slice(0, 12), byAlias.stderr)
  const ip = await docker(d, ['inspect', 'web', '--format', '{{.NetworkSettings.Networks.shop.IPAddress}}'])
  t.match(ip.stdout, new RegExp(`^${subnet.replace(/\.0\/24$/, '').replaceAll('.', '\\.')}\\.\\d+$`))

  const inUse = await docker(d, ['network', 'rm', 'shop'])
  t.not(inUse.exitCode, 0)
  t.match(inUse.stderr, 'has active endpoints')

  // -P publishes what the image exposes (here the body's EXPOSE, --expose) on random ports.
  const all = await docker(d, ['run', '-d', '--name', 'all', '--expose', '80', '-P', 'bb', ...HTTPD])
  t.equal(all.exitCode, 0, all.stderr)
  const allPort = await docker(d, ['port', 'all'])
  t.match(allPort.stdout, /^80\/tcp -> 0\.0\.0\.0:\d+$/m)
  const p = /0\.0\.0\.0:(\d+)/.exec(allPort.stdout)![1]!
  await until(async () => (await get(p)).trim() === all.stdout.slice(0, 12), 10_000, 'the -P port answers on 127.0.0.1')

  t.equal((await docker(d, ['rm', '-f', 'web', 'all'])).exitCode, 0)
  const rm = await docker(d, ['network', 'rm', 'shop'])
  t.equal(rm.exitCode, 0, rm.stderr)
  const rmBridge = await docker(d, ['network', 'rm', 'bridge'])
  t.not(rmBridge.exitCode, 0)
  t.match(rmBridge.stderr, 'bridge is a pre-defined network and cannot be removed')
})

dockerTest(t, 'docker network connect and disconnect: running, created and host-mode containers', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const subnet = subnetFor(`${d.dir}/conn`)
  const fixed = subnet.replace(/\.0\/24$/, '.77')
  const since = String(Math.floor(Date.now() / 1000) - 1)
  t.equal((await docker(d, ['network', 'create', '--subnet', subnet, 'conn'])).exitCode, 0)
  const srv = await docker(d, ['run', '-d', '--name', 'srv', 'bb', ...HTTPD])
  t.equal(srv.exitCode, 0, srv.stderr)
  t.equal((await docker(d, ['run', '-d', '--name', 'client', '--network', 'conn', 'bb', 'sleep', '60'])).exitCode, 0)
  /** GET /hostname of `host` from the client container, by name through aardvark-dns. */
  const fromClient = async (host: string): Promise<string> =>
    (await docker(d, ['exec', 'client', 'sh', '-c', `printf "GET /hostname HTTP/1.0\\r\\n\\r\\n" | nc -w 3 ${host} 80 | tail -1`])).stdout.trim()

  // A running container gains an address on the network; its name and alias resolve from the network's other containers.
  const conn = await docker(d, ['network', 'connect', '--alias', 'srvalias', '--ip', fixed, 'conn', 'srv'])
  t.equal(conn.exitCode, 0, conn.stderr)
  const ip = await docker(d, ['inspect', 'srv', '--format', '{{.NetworkSettings.Networks.conn.IPAddress}} {{.NetworkSettings.Networks.bridge.IPAddress}}'])
  t.match(ip.stdout, new RegExp(`^${fixed.replaceAll('.', '\\.')} 10\\.`), 'the address asked for, and the bridge one kept')
  const links = await docker(d, ['exec', 'srv', 'sh', '-c', 'ls /sys/class/net | tr "\\n" " "'])
  t.equal(links.stdout.trim(), 'eth0 eth1 lo')
  for (const name of ['srv', 'srvalias']) t.equal(await fromClient(name), srv.stdout.slice(0, 12), `reached by ${name}`)
  const twice = await docker(d, ['network', 'connect', 'conn', 'srv'])
  t.not(twice.exitCode, 0)
  t.match(twice.stderr, 'endpoint with name srv already exists in network conn')
  const taken = await docker(d, ['run', '--rm', '--network', 'conn', '--ip', fixed, 'bb', 'true'])
  t.not(taken.exitCode, 0)
  t.match(taken.stderr, `Address already in use: ${fixed}`)

  // Disconnected: the interface and the address go; the bridge stays. (Not asked by name: aardvark-dns would forward the unknown name to the host's resolvers.)
  const disc = await docker(d, ['network', 'disconnect', 'conn', 'srv'])
  t.equal(disc.exitCode, 0, disc.stderr)
  t.equal((await docker(d, ['exec', 'srv', 'sh', '-c', 'ls /sys/class/net | tr "\\n" " "'])).stdout.trim(), 'eth0 lo')
  t.equal(await fromClient(fixed), '', 'srv no longer answers on conn')
  const again = await docker(d, ['network', 'disconnect', 'conn', 'srv'])
  t.not(again.exitCode, 0)
  t.match(again.stderr, `container ${srv.stdout} is not connected to network conn`)

  // A created container gets the network at its start.
  t.equal((await docker(d, ['create', '--name', 'later', 'bb', ...HTTPD])).exitCode, 0)
  t.equal((await docker(d, ['network', 'connect', 'conn', 'later'])).exitCode, 0)
  t.equal((await docker(d, ['start', 'later'])).exitCode, 0)
  t.match((await docker(d, ['inspect', 'later', '--format', '{{.NetworkSettings.Networks.conn.IPAddress}}'])).stdout, /^\d+\.\d+\.\d+\.\d+$/)
  await until(async () => (await fromClient('later')).length === 12, 10_000, 'later is reached by name')

  // A host-mode container: Docker's refusals.
  t.equal((await docker(d, ['create', '--name', 'hosty', '--network', 'host', 'bb', 'true'])).exitCode, 0)
  const hosty = await docker(d, ['network', 'connect', 'conn', 'hosty'])
  t.match(hosty.stderr, 'container sharing network namespace with another container or host cannot be connected to any other network')
  const offHost = await docker(d, ['network', 'disconnect', 'host', 'hosty'])
  t.match(offHost.stderr, 'cannot disconnect container from host network - container was created in host network mode')

  // The events, filtered by the network's name.
  const events = await docker(d, ['events', '--since', since, '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'network=conn', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'])
  const actions = events.stdout.split('\n')
  t.ok(actions.every(l => l.startsWith('network ') && l.endsWith(' conn')), 'only conn\'s events')
  t.same(actions.map(l => l.split(' ')[1]).filter(a => a !== 'create'), ['connect', 'connect', 'disconnect', 'connect'], 'client, srv, srv, later')

  t.equal((await docker(d, ['rm', '-f', 'srv', 'client', 'later', 'hosty'])).exitCode, 0)
  t.equal((await docker(d, ['network', 'rm', 'conn'])).exitCode, 0)
})
