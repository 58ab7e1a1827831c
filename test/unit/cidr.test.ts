/** Subnet arithmetic of the network store and the leases (src/networks/cidr.ts). */
import t from 'tap'
import { candidateSubnets, cidrString, contains, freeAddress, hostRoutes, ipToInt, overlaps, parseCidr } from '../../src/networks/cidr.js'

t.test('parseCidr clears host bits and refuses malformed ones', async t => {
  t.equal(cidrString(parseCidr('10.1.2.3/24')!), '10.1.2.0/24')
  t.equal(cidrString(parseCidr('0.0.0.0/0')!), '0.0.0.0/0')
  for (const bad of ['10.1.2.300/24', '10.1.2.0', '10.1.2.0/33', 'fe80::/64', '10.1.2.0/-1', '']) t.equal(parseCidr(bad), undefined, bad)
})

t.test('contains and overlaps', async t => {
  const a = parseCidr('10.1.0.0/16')!; const b = parseCidr('10.1.5.0/24')!; const c = parseCidr('10.2.0.0/24')!
  t.ok(overlaps(a, b)); t.ok(overlaps(b, a)); t.notOk(overlaps(a, c))
  t.ok(contains(b, ipToInt('10.1.5.255'))); t.notOk(contains(b, ipToInt('10.1.6.0')))
})

t.test('freeAddress: the lowest free host address of the range, never the network or broadcast address', async t => {
  const s = parseCidr('10.9.0.0/29')!
  t.equal(freeAddress(s, s, new Set(['10.9.0.1'])), '10.9.0.2')
  t.equal(freeAddress(s, s, new Set(['10.9.0.1', '10.9.0.2', '10.9.0.4'])), '10.9.0.3')
  t.equal(freeAddress(s, s, new Set(['10.9.0.1', '10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6'])), undefined, 'full: .7 is the broadcast')
  t.equal(freeAddress(parseCidr('10.9.0.0/24')!, parseCidr('10.9.0.128/25')!, new Set()), '10.9.0.128', 'IPRange')
})

t.test('hostRoutes reads /proc/net/route; candidateSubnets are Docker\'s pools', async t => {
  const text = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' +
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n' +
    'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n' +
    'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n'
  t.same(hostRoutes(text).map(cidrString), ['192.0.2.0/24', '172.17.0.0/16'], 'the default route is left out')
  const pools = [...candidateSubnets()].map(cidrString)
  t.equal(pools[0], '172.17.0.0/16'); t.equal(pools[14], '172.31.0.0/16'); t.equal(pools[15], '192.168.0.0/20'); t.equal(pools.at(-1), '192.168.240.0/20')
})
