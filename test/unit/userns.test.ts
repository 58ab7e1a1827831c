/**
 * --userns-remap's pure parts and its resolution against an /etc of the
 * test's own (passwd, group, subuid, subgid in a temp dir): ranges, the
 * free range for `default`, the shift, moby's spec errors, the missing-range
 * error, the spec a remapped container gets, and Docker's refusals.
 */
import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkRemapConflicts, freeRangeStart, hostOwner, mapText, ownerInside, setupUserns, subRanges, toContainer, toHost, withUserns } from '../../src/security/userns.js'
import { shiftCaps } from '../../src/images/remap-layers.js'

t.test('ranges, the free range, the shift', async t => {
  const text = 'alice:100000:65536\nbob:165536:65536\n1001:231072:1000\nalice:300000:10\n'
  t.same(subRanges(text, 'alice', 1000), [{ containerID: 0, hostID: 100000, size: 65536 }, { containerID: 65536, hostID: 300000, size: 10 }], 'every range of the user, container ids contiguous')
  t.same(subRanges(text, 'carol', 1001), [{ containerID: 0, hostID: 231072, size: 1000 }], 'by uid too')
  t.same(subRanges(text, 'dave', 7), [])
  t.equal(freeRangeStart(text), 300010, 'past every range')
  t.equal(freeRangeStart(''), 100000, 'dockerd\'s first id')
  const map = subRanges(text, 'alice', 1000)
  t.equal(toHost(map, 0), 100000)
  t.equal(toHost(map, 65535), 165535)
  t.equal(toHost(map, 65536), 300000, 'the second range')
  t.equal(toHost(map, 65546), undefined, 'outside the map')
  t.equal(mapText(map), '0:100000:65536,65536:300000:10')
  t.equal(toContainer(map, 100000), 0)
  t.equal(toContainer(map, 300009), 65545, 'back from the second range')
  t.equal(toContainer(map, 0), undefined, 'host root is outside')
  const m = { uidMappings: map, gidMappings: [{ containerID: 0, hostID: 200000, size: 10 }] }
  t.same(ownerInside(m, 100001, 200002), { uid: 1, gid: 2 })
  t.same(ownerInside(m, 0, 0), { uid: 65534, gid: 65534 }, 'unmapped ids show as nobody, as the kernel shows them')
  t.same(hostOwner(m, 1, 2), { uid: 100001, gid: 200002 })
  t.throws(() => hostOwner(m, 0, 10), /Container ID 10 cannot be mapped to a host ID/, 'Docker\'s error for an id the map lacks')
})

t.test('file capabilities in the shifted copy', async t => {
  const map = [{ containerID: 0, hostID: 100000, size: 65536 }]
  // v2, effective, cap_net_raw (bit 13) permitted.
  const v2 = Buffer.alloc(20); v2.writeUInt32LE(0x02000001, 0); v2.writeUInt32LE(1 << 13, 4)
  const out = shiftCaps(v2, map)!
  t.equal(out.length, 24, 'written as v3')
  t.equal(out.readUInt32LE(0), 0x03000001, 'v3, the effective flag kept')
  t.equal(out.readUInt32LE(4), 1 << 13, 'the caps kept')
  t.equal(out.readUInt32LE(20), 100000, 'the root id is the container root\'s')
  const v3 = Buffer.alloc(24); v3.writeUInt32LE(0x03000000, 0); v3.writeUInt32LE(7, 12); v3.writeUInt32LE(1000, 20)
  const out3 = shiftCaps(v3, map)!
  t.same([out3.readUInt32LE(0), out3.readUInt32LE(12), out3.readUInt32LE(20)], [0x03000000, 7, 101000], 'a v3 root id shifted')
  v3.writeUInt32LE(70000, 20)
  t.equal(shiftCaps(v3, map), undefined, 'a root id outside the map: dropped')
  t.equal(shiftCaps(Buffer.alloc(12), map), undefined, 'too short')
  const v1 = Buffer.alloc(20); v1.writeUInt32LE(0x01000000, 0)
  t.equal(shiftCaps(v1, map), undefined, 'an unknown revision')
})

t.test('resolving the flag against /etc', async t => {
  const etc = await mkdtemp(join(tmpdir(), 'bt-etc-'))
  t.teardown(() => rm(etc, { recursive: true, force: true }))
  await writeFile(join(etc, 'passwd'), 'root:x:0:0::/root:/bin/sh\nremap:x:990:985::/:/bin/false\nlone:x:991:991::/:/bin/false\n')
  await writeFile(join(etc, 'group'), 'root:x:0:\nremap:x:985:\nother:x:986:\n')
  await writeFile(join(etc, 'subuid'), 'remap:200000:65536\n991:300000:65536\n')
  await writeFile(join(etc, 'subgid'), 'remap:200000:65536\nother:400000:65536\n')
  const u = await setupUserns('remap', etc)
  t.equal(u.name, 'remap:remap')
  t.same([u.rootUid, u.rootGid], [200000, 200000])
  const g = await setupUserns('990:other', etc)
  t.same([g.name, g.rootUid, g.rootGid], ['remap:other', 200000, 400000], 'a uid and a group name')
  await t.rejects(setupUserns('a:b:c', etc), /^Invalid user\/group specification in --userns-remap: "a:b:c"$/)
  await t.rejects(setupUserns('nosuch', etc), /^Error during uid lookup for "nosuch": no such user$/)
  await t.rejects(setupUserns('4242', etc), /^Uid 4242 has no entry in \/etc\/passwd$/)
  await t.rejects(setupUserns('991', etc), /^Gid 991 has no entry in \/etc\/group$/, 'a bare uid is its gid too (moby)')
  await t.rejects(setupUserns('remap:root', etc), /^--userns-remap remap:root: no subgid ranges found for group "root" in .*\/subgid \(add one, e\.g\. with: usermod -w 100000-165535 remap; /)
})

t.test('the spec of a remapped container; Docker\'s refusals', async t => {
  const u = { name: 'r:r', uidMappings: [{ containerID: 0, hostID: 200000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 200000, size: 65536 }], rootUid: 200000, rootGid: 200000 }
  const spec = withUserns({ linux: { namespaces: [{ type: 'mount' }, { type: 'network' }], sysctl: { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_unprivileged_port_start': '0' } } }, u)
  t.same(spec.linux.namespaces, [{ type: 'mount' }, { type: 'network' }, { type: 'user' }])
  t.same((spec.linux as Record<string, unknown>).uidMappings, u.uidMappings)
  t.same(spec.linux.sysctl, { 'net.ipv4.ping_group_range': '0 65535', 'net.ipv4.ip_unprivileged_port_start': '0' }, 'ping for the mapped gids only: the kernel refuses others')
  t.throws(() => checkRemapConflicts({ Privileged: true }), /^privileged mode is incompatible with user namespaces\.  You must run the container in the host namespace when running privileged mode$/)
  t.throws(() => checkRemapConflicts({ NetworkMode: 'host' }), /^cannot share the host's network namespace when user namespaces are enabled$/)
  t.throws(() => checkRemapConflicts({ PidMode: 'host' }), /^cannot share the host PID namespace when user namespaces are enabled$/)
  t.doesNotThrow(() => checkRemapConflicts({ NetworkMode: 'bridge', PidMode: '' }))
})
