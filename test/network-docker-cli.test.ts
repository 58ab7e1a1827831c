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
