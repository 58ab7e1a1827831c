import t from 'tap'
import { bundleSpec, Layout, rootfsPaths, statePaths } from '../../src/store/layout.js'

t.test('rootfsPaths', async t => {
  t.same(rootfsPaths('/r/containers/abc'), { upper: '/r/containers/abc/rootfs/upper', work: '/r/containers/abc/rootfs/work', merged: '/r/containers/abc/rootfs/merged' })
})

t.test('statePaths', async t => {
  t.same(statePaths('/s'), { control: '/s/control', ctrPid: '/s/ctr.pid', conmonPid: '/s/conmon.pid', conmonLog: '/s/conmon.log' })
})

t.test('Layout: the on-disk contract of design.md', async t => {
  const l = new Layout('/var/lib/berth', '/run/berth')
  t.same([l.records, l.states, l.exits, l.sockets, l.images, l.events, l.oldFifos],
    ['/var/lib/berth/containers', '/run/berth/containers', '/run/berth/exits', '/run/berth/sock', '/var/lib/berth/images', '/var/lib/berth/events', '/run/berth/fifos'])
  t.equal(l.runtimeRoot('runc'), '/run/berth/rt/runc')
  t.equal(l.containerDir('abc'), '/var/lib/berth/containers/abc')
  t.equal(l.logPath('abc'), '/var/lib/berth/containers/abc/ctr.log')
  t.equal(l.imageBundle('abc'), '/var/lib/berth/containers/abc/bundle')
  t.same(l.rootfs('abc'), rootfsPaths('/var/lib/berth/containers/abc'))
  t.same(l.etcFiles('abc'), { hostname: '/var/lib/berth/containers/abc/hostname', hosts: '/var/lib/berth/containers/abc/hosts', resolvConf: '/var/lib/berth/containers/abc/resolv.conf' })
  t.equal(l.stateDir('abc'), '/run/berth/containers/abc')
  t.equal(l.runBundle('abc'), '/run/berth/containers/abc/bundle')
  t.equal(l.exitFile('abc'), '/run/berth/exits/abc')
  t.equal(l.socketLink('abc'), '/run/berth/sock/abc')
  t.equal(bundleSpec('/b'), '/b/config.json')
})
