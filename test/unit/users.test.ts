import t, { type Test } from 'tap'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parsePasswd, parseGroup, resolveUser, resolveUserIn } from '../../src/containers/users.js'
import { BerthError } from '../../src/errors.js'

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
  'alice:x:1000:1000:Alice:/home/alice:/bin/sh',
  'bob:x:1001:100:Bob:/home/bob:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin'
].join('\n') + '\n'

const GROUP = [
  'root:x:0:',
  'daemon:x:1:',
  'wheel:x:10:alice,root',
  'users:x:100:bob',
  'alice:x:1000:alice',
  'docker:x:999:alice, bob',
  'staff:x:50:',
  'nogroup:x:65534:'
].join('\n') + '\n'

const passwd = parsePasswd(PASSWD)
const groups = parseGroup(GROUP)

/** Asserts that `fn` throws a BerthError with code INVALID_ARGUMENT and the message (exact for a string). */
function refuses (t: Test, fn: () => unknown, message: string | RegExp, name: string): void {
  let caught: unknown
  try { fn() } catch (err) { caught = err }
  t.ok(caught instanceof BerthError, `${name}: a BerthError`)
  t.equal((caught as BerthError | undefined)?.code, 'INVALID_ARGUMENT', `${name}: INVALID_ARGUMENT`)
  if (typeof message === 'string') t.equal((caught as Error | undefined)?.message, message, `${name}: message`)
  else t.match((caught as Error | undefined)?.message, message, `${name}: message`)
}

/** Like `refuses`, for a promise. */
async function rejects (t: Test, p: Promise<unknown>, message: string | RegExp, name: string): Promise<void> {
  let caught: unknown
  try { await p } catch (err) { caught = err }
  refuses(t, () => { if (caught !== undefined) throw caught }, message, name)
}

t.test('parsePasswd', async t => {
  t.same(passwd, [
    { name: 'root', uid: 0, gid: 0 },
    { name: 'daemon', uid: 1, gid: 1 },
    { name: 'alice', uid: 1000, gid: 1000 },
    { name: 'bob', uid: 1001, gid: 100 },
    { name: 'nobody', uid: 65534, gid: 65534 }
  ], 'every well-formed line, in file order')
  t.strictSame(parsePasswd(''), [], 'empty text')
  t.strictSame(parsePasswd('\n\n\n'), [], 'blank lines only')
  t.strictSame(parsePasswd('# root:x:0:0:root:/root:/bin/sh'), [], 'a comment, even one shaped like an entry')
  t.strictSame(parsePasswd('#x:x:5:5'), [], 'comment with exactly four fields')
  t.strictSame(parsePasswd('a:x:5:5'), [{ name: 'a', uid: 5, gid: 5 }], 'four fields are enough')
  t.strictSame(parsePasswd('a:x:5'), [], 'three fields: skipped')
  t.strictSame(parsePasswd('no colons at all'), [], 'no fields: skipped')
  t.strictSame(parsePasswd(':x:5:5:::'), [], 'empty name: skipped')
  t.strictSame(parsePasswd('a:x:five:5'), [], 'non-numeric uid: skipped')
  t.strictSame(parsePasswd('a:x:5:five'), [], 'non-numeric gid: skipped')
  t.strictSame(parsePasswd('a:x:1.5:5'), [], 'fractional uid: skipped')
  t.strictSame(parsePasswd('a:x:5:2.5'), [], 'fractional gid: skipped')
  t.strictSame(
    parsePasswd('garbage\nok:x:7:8:::\n# comment\nbad:x:y:z\n'),
    [{ name: 'ok', uid: 7, gid: 8 }],
    'bad lines around a good one are skipped, the good one kept'
  )
  t.strictSame(parsePasswd('a:x:5:6:gecos:/home/a:/bin/sh\r\nb:x:7:8\r\n'), [
    { name: 'a', uid: 5, gid: 6 }, { name: 'b', uid: 7, gid: 8 }
  ], 'CRLF line ends')
  t.strictSame(parsePasswd('dup:x:1:1\ndup:x:2:2'), [{ name: 'dup', uid: 1, gid: 1 }, { name: 'dup', uid: 2, gid: 2 }], 'duplicates are all kept')
  // Number('') is 0 in JavaScript: an empty id field is read as root rather than skipped.
  t.strictSame(parsePasswd('a:x::5'), [], 'empty uid field: skipped (malformed)')
  t.strictSame(parsePasswd('a:x:5:'), [], 'empty gid field: skipped (malformed)')
})

t.test('parseGroup', async t => {
  t.same(groups, [
    { name: 'root', gid: 0, members: [] },
    { name: 'daemon', gid: 1, members: [] },
    { name: 'wheel', gid: 10, members: ['alice', 'root'] },
    { name: 'users', gid: 100, members: ['bob'] },
    { name: 'alice', gid: 1000, members: ['alice'] },
    { name: 'docker', gid: 999, members: ['alice', 'bob'] },
    { name: 'staff', gid: 50, members: [] },
    { name: 'nogroup', gid: 65534, members: [] }
  ], 'every well-formed line, in file order; members trimmed')
  t.strictSame(parseGroup(''), [], 'empty text')
  t.strictSame(parseGroup('\n\n'), [], 'blank lines only')
  t.strictSame(parseGroup('#wheel:x:10:alice'), [], 'a comment')
  t.strictSame(parseGroup('g:x:7'), [{ name: 'g', gid: 7, members: [] }], 'three fields are enough (no member list)')
  t.strictSame(parseGroup('g:x'), [], 'two fields: skipped')
  t.strictSame(parseGroup(':x:7:a'), [], 'empty name: skipped')
  t.strictSame(parseGroup('g:x:seven:a'), [], 'non-numeric gid: skipped')
  t.strictSame(parseGroup('g:x:7.5:a'), [], 'fractional gid: skipped')
  t.strictSame(parseGroup('g:x:7:a,,b,'), [{ name: 'g', gid: 7, members: ['a', 'b'] }], 'empty member entries dropped')
  t.strictSame(parseGroup('g:x:7: a , b '), [{ name: 'g', gid: 7, members: ['a', 'b'] }], 'members trimmed')
  t.strictSame(parseGroup('g:x:7:a,b\r\nh:x:8:\r\n'), [
    { name: 'g', gid: 7, members: ['a', 'b'] }, { name: 'h', gid: 8, members: [] }
  ], 'CRLF line ends: no stray \\r in members')
  t.strictSame(
    parseGroup('junk\ng:x:7:a\n# c\nbad:x:q:a\n'),
    [{ name: 'g', gid: 7, members: ['a'] }],
    'bad lines around a good one are skipped'
  )
  t.strictSame(parseGroup('g:x::a'), [], 'empty gid field: skipped (malformed)')
})

t.test('resolveUser: GroupAdd adds gids and names from the group file', async t => {
  t.strictSame(resolveUser('4242', passwd, groups, ['10', '4343']), { uid: 4242, gid: 0, additionalGids: [10, 4343] })
  const named = groups[0]!
  t.strictSame(resolveUser('4242', passwd, groups, [named.name, String(named.gid)]), { uid: 4242, gid: 0, additionalGids: [named.gid] }, 'a group named twice is added once')
  t.throws(() => resolveUser('0', passwd, groups, ['nosuchgroup']), { code: 'INVALID_ARGUMENT', message: 'Unable to find group nosuchgroup: no matching entries in group file' })
})

t.test('resolveUser: numeric forms', async t => {
  t.strictSame(resolveUser('0', passwd, groups), { uid: 0, gid: 0, additionalGids: [10] }, 'uid 0 is root, with root\'s groups')
  t.strictSame(resolveUser('1001', passwd, groups), { uid: 1001, gid: 100, additionalGids: [999] }, 'known uid: gid from passwd, groups by its name')
  t.strictSame(resolveUser('1', passwd, groups), { uid: 1, gid: 1 }, 'known uid with no supplementary groups: no additionalGids key')
  t.strictSame(resolveUser('4242', passwd, groups), { uid: 4242, gid: 0 }, 'unknown uid: gid 0, no groups')
  t.strictSame(resolveUser('4242:4343', passwd, groups), { uid: 4242, gid: 4343 }, 'unknown uid:gid')
  t.strictSame(resolveUser('4242:10', passwd, groups), { uid: 4242, gid: 10 }, 'numeric gid need not be named')
  t.strictSame(resolveUser('1001:50', passwd, groups), { uid: 1001, gid: 50 }, 'known uid with numeric gid: no supplementary groups, as Docker')
  t.strictSame(resolveUser('007', passwd, groups), { uid: 7, gid: 0 }, 'leading zeros')
  t.strictSame(resolveUser('4242:', passwd, groups), { uid: 4242, gid: 0 }, 'trailing colon: no group part')
  t.strictSame(resolveUser('4294967294', [], []), { uid: 4294967294, gid: 0 }, 'largest uid')
  t.strictSame(resolveUser('0:4294967294', [], []), { uid: 0, gid: 4294967294 }, 'largest gid')
})

t.test('resolveUser: names', async t => {
  t.strictSame(resolveUser('alice', passwd, groups), { uid: 1000, gid: 1000, additionalGids: [10, 999] },
    'name: ids from passwd; supplementary groups from membership, primary gid (1000, alice is listed in it) not repeated')
  t.strictSame(resolveUser('bob', passwd, groups), { uid: 1001, gid: 100, additionalGids: [999] }, 'bob: users (his primary) not repeated')
  t.strictSame(resolveUser('daemon', passwd, groups), { uid: 1, gid: 1 }, 'no memberships: no additionalGids key')
  t.strictSame(resolveUser('nobody', passwd, groups), { uid: 65534, gid: 65534 }, 'nobody')
  t.strictSame(resolveUser('alice:staff', passwd, groups).gid, 50, 'name:group takes the group\'s gid')
  t.strictSame(resolveUser('1000:staff', passwd, groups).gid, 50, 'uid:group')
  t.strictSame(resolveUser('4242:staff', passwd, groups), { uid: 4242, gid: 50 }, 'unknown uid with a named group')
  t.strictSame(resolveUser('alice:wheel', passwd, groups), { uid: 1000, gid: 10 },
    'a given group: no supplementary groups (Docker adds them only in the implicit form)')
  t.strictSame(resolveUser('alice:10', passwd, groups).gid, 10, 'name:gid')
  t.strictSame(resolveUser('alice:4343', passwd, groups).gid, 4343, 'name:unknown numeric gid')
  t.strictSame(
    resolveUser('dup', parsePasswd('dup:x:5:5\ndup:x:6:6'), []),
    { uid: 5, gid: 5 },
    'duplicate names: the first entry wins'
  )
  t.strictSame(
    resolveUser('5:g', [], parseGroup('g:x:70:\ng:x:71:')),
    { uid: 5, gid: 70 },
    'duplicate group names: the first entry wins'
  )
  const a = resolveUser('alice', passwd, groups)
  t.notOk(a.additionalGids?.includes(a.gid), 'primary gid never among additionalGids')
  // Docker (moby/sys/user GetExecUser) fills supplementary groups only in the implicit form:
  // "Supplementary group ids only make sense if in the implicit form".
  t.strictSame(resolveUser('alice:staff', passwd, groups), { uid: 1000, gid: 50 }, 'explicit group: no supplementary groups, as Docker',
)
})

t.test('resolveUser: refusals', async t => {
  const form = (spec: string): string => `invalid user: ${JSON.stringify(spec)}: use uid, uid:gid, name or name:group`
  refuses(t, () => resolveUser('', passwd, groups), form(''), 'empty spec')
  refuses(t, () => resolveUser(':0', passwd, groups), form(':0'), 'empty user part')
  refuses(t, () => resolveUser(':', passwd, groups), form(':'), 'a lone colon')
  refuses(t, () => resolveUser('a:b:c', passwd, groups), form('a:b:c'), 'too many colons')
  refuses(t, () => resolveUser('0:0:', passwd, groups), form('0:0:'), 'trailing third colon')
  refuses(t, () => resolveUser('mallory', passwd, groups), 'unable to find user mallory: no matching entries in passwd file', 'unknown user name')
  refuses(t, () => resolveUser('mallory:0', passwd, groups), 'unable to find user mallory: no matching entries in passwd file', 'unknown user name with a gid')
  refuses(t, () => resolveUser('alice:ghosts', passwd, groups), 'unable to find group ghosts: no matching entries in group file', 'unknown group name')
  refuses(t, () => resolveUser('0:ghosts', passwd, groups), 'unable to find group ghosts: no matching entries in group file', 'uid with unknown group name')
  refuses(t, () => resolveUser('-1', passwd, groups), 'unable to find user -1: no matching entries in passwd file', 'negative uid is a (missing) name')
  refuses(t, () => resolveUser('4294967295', passwd, groups), 'invalid user: uid 4294967295 is out of range', 'uid 2^32-1')
  refuses(t, () => resolveUser('99999999999999999999', passwd, groups), 'invalid user: uid 99999999999999999999 is out of range', 'huge uid')
  refuses(t, () => resolveUser('0:4294967295', passwd, groups), 'invalid group: gid 4294967295 is out of range', 'gid 2^32-1')
  refuses(t, () => resolveUser('alice:99999999999999999999', passwd, groups), 'invalid group: gid 99999999999999999999 is out of range', 'huge gid')
  refuses(t, () => resolveUser('root', [], []), /unable to find user root/, 'no passwd entries: names fail, even root')
})

t.test('resolveUserIn', async t => {
  const root = await mkdtemp(join(tmpdir(), 'berth-users-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const full = join(root, 'full')
  await mkdir(join(full, 'etc'), { recursive: true })
  await writeFile(join(full, 'etc', 'passwd'), PASSWD)
  await writeFile(join(full, 'etc', 'group'), GROUP)
  const bare = join(root, 'bare')
  await mkdir(bare)
  const passwdOnly = join(root, 'passwd-only')
  await mkdir(join(passwdOnly, 'etc'), { recursive: true })
  await writeFile(join(passwdOnly, 'etc', 'passwd'), PASSWD)

  t.strictSame(await resolveUserIn(full, 'alice'), { uid: 1000, gid: 1000, additionalGids: [10, 999] }, 'name through the rootfs files')
  t.strictSame(await resolveUserIn(full, 'bob:staff'), { uid: 1001, gid: 50 }, 'name:group through the rootfs files')
  t.strictSame(await resolveUserIn(full, 'bob'), { uid: 1001, gid: 100, additionalGids: [999] }, 'name alone: his groups come along')
  t.strictSame(await resolveUserIn(full, '1001'), { uid: 1001, gid: 100, additionalGids: [999] }, 'known uid through the rootfs files')
  await rejects(t, resolveUserIn(full, 'mallory'), 'unable to find user mallory: no matching entries in passwd file', 'unknown name')

  t.strictSame(await resolveUserIn(bare, '0'), { uid: 0, gid: 0 }, 'no etc files: uid works')
  t.strictSame(await resolveUserIn(bare, '1234:5678'), { uid: 1234, gid: 5678 }, 'no etc files: uid:gid works')
  await rejects(t, resolveUserIn(bare, 'root'), 'unable to find user root: no matching entries in passwd file', 'no etc files: names fail')
  await rejects(t, resolveUserIn(bare, '0:root'), 'unable to find group root: no matching entries in group file', 'no etc files: group names fail')
  await rejects(t, resolveUserIn(bare, ''), /^invalid user: ""/, 'no etc files: empty spec still refused')
  await rejects(t, resolveUserIn(join(root, 'does-not-exist'), 'alice'), /^unable to find user alice:/, 'a missing rootfs is a rootfs with no files')

  t.strictSame(await resolveUserIn(passwdOnly, 'bob'), { uid: 1001, gid: 100 }, 'passwd without group: name works, no supplementary groups')
  await rejects(t, resolveUserIn(passwdOnly, 'bob:users'), 'unable to find group users: no matching entries in group file', 'passwd without group: group names fail')
})
