/**
 * POST /networks/reconcile and berthd's start-up repair on real netavark:
 * a test network's rules and bridge are taken from under running
 * containers (only that network's and its port's), and come back. Reaches
 * only 127.0.0.1 and the test's own containers.
 */
import t from 'tap'
import { execa } from 'execa'
import { importBusybox, startDaemon, subnetFor, until } from './helpers.js'
import { execOut, freePort, httpGet, HTTPD, start } from './network-helpers.js'

/** Deletes the host's firewall rules that mention one of `needles` (a test's own subnet and port only). */
async function dropRules (needles: string[]): Promise<number> {
  let n = 0
  for (const table of ['nat', 'filter']) {
    const rules = (await execa('iptables', ['-t', table, '-S'])).stdout.split('\n')
    for (const rule of rules.filter(r => r.startsWith('-A ') && needles.some(x => r.includes(x)))) {
      // Through sh: netavark's rules carry quoted comments.
      await execa('sh', ['-c', `iptables -t ${table} ${rule.replace(/^-A /, '-D ')}`])
      n++
    }
  }
  return n
}

t.test('POST /networks/reconcile: rules flushed and a bridge deleted under running containers are set up again; whole ones are not touched', async t => {
  let d = await startDaemon(t)
  await importBusybox(d)
  const subnet = subnetFor(`${d.dir}/lost`)
  const net = await d.req('POST', '/networks/create', { Name: 'lost', IPAM: { Config: [{ Subnet: subnet }] } })
  const iface = `br-${(net.body.Id as string).slice(0, 12)}`
  const port = await freePort()
  const web = await start(d, 'web', HTTPD, { NetworkMode: 'lost', PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } })
  const peer = await start(d, 'peer', ['sleep', '120'], { NetworkMode: 'lost' })
  const ip = (await d.req('GET', `/containers/${web}/json`)).body.NetworkSettings.Networks.lost.IPAddress as string
  const answers = async (url: string): Promise<boolean> => (await fetch(url, { signal: AbortSignal.timeout(2000) }).then(async r => await r.text()).catch(() => '')).trim() === web.slice(0, 12)
  const whole = async (): Promise<void> => {
    await until(() => answers(`http://127.0.0.1:${port}/hostname`), 10_000, 'the published port answers')
    await until(() => answers(`http://${ip}/hostname`), 10_000, 'the container\'s address answers')
    t.match(await execOut(d, peer, httpGet('web')), web.slice(0, 12), 'a container on the network reaches web by name')
  }
  await whole()
  const nothing = await d.req('POST', '/networks/reconcile')
  t.equal(nothing.status, 200)
  t.same(nothing.body, { Repaired: [] }, 'whole networking is not touched')

  // A firewall flush of berth's rules (this network's and port's only), and the bridge deleted.
  t.ok(await dropRules([subnet, `--dport ${port} `]) >= 4, 'the network\'s and the port\'s rules dropped')
  await execa('ip', ['link', 'delete', iface])
  t.notOk(await answers(`http://127.0.0.1:${port}/hostname`), 'the published port is lost')
  t.notOk(await answers(`http://${ip}/hostname`), 'the container\'s address is lost')
  const fixed = await d.req('POST', '/networks/reconcile')
  t.equal(fixed.status, 200)
  t.same([...fixed.body.Repaired].sort(), [web, peer].sort(), 'both containers set up again')
  await whole()
  t.equal((await d.req('GET', `/containers/${web}/json`)).body.NetworkSettings.Networks.lost.IPAddress, ip, 'the same address')
  t.same((await d.req('POST', '/networks/reconcile')).body, { Repaired: [] }, 'nothing left to repair')

  // Lost while berthd is down: its start-up repairs it.
  await dropRules([subnet, `--dport ${port} `])
  await d.stop()
  t.notOk(await answers(`http://127.0.0.1:${port}/hostname`), 'lost while berthd is down')
  d = await d.restart()
  await whole()
})
