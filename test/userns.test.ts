/**
 * berthd --userns-remap against the real runtimes and the docker CLI: a
 * remap user the test makes (with a range in /etc/subuid and /etc/subgid,
 * removed after), root inside mapped to its first id outside with runc and
 * crun, files the container makes owned by that id on the host (upper dir,
 * a bind of a dir the remapped root owns; a root-owned bind is read-only to
 * it, as under Docker: moby#22725), one shifted copy of the image's layer
 * shared by two containers, `--userns=host`, Docker's refusals, inspect and
 * /info, docker cp in and out, export and commit with the ids as seen inside,
 * a new working dir owned by the remapped root, an image file's capabilities
 * kept in the shifted copy (exact bytes) and exported as v2, the mount points
 * the runtime makes owned by the remapped root, a berthd restart, image removal taking the copy, a failed start
 * leaving nothing, and the start-up errors.
 */
import t, { type Test } from 'tap'
import { mkdtemp, readdir, readFile, rm, stat, chown, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execa } from 'execa'
import { freeRangeStart } from '../src/security/userns.js'
import { berthdCommand, DOCKER, dockerEnv, dockerTest, importBusybox, ROOTFS, RUNTIMES, startDaemon, until, type Daemon } from './helpers.js'
import { CAPS_V2, CAPS_V2_EFFECTIVE, gnuTarWithXattrs, tarXattrs } from './tar-xattrs.js'

function docker (d: Daemon, args: string[]) {
  return execa(DOCKER, args, { env: dockerEnv(d), input: '', reject: false, timeout: 60_000, killSignal: 'SIGKILL' })
}

/** A system user with one 65536-id range in subuid and subgid; userdel removes it and its ranges. */
async function remapUser (t: Test): Promise<{ name: string, start: number }> {
  const name = `bt-remap-${process.pid}`
  const start = freeRangeStart(`${await readFile('/etc/subuid', 'utf8')}\n${await readFile('/etc/subgid', 'utf8')}`)
  const range = `${start}-${start + 65535}`
  await execa('useradd', ['-r', '-M', '-U', '-s', '/bin/false', name])
  t.teardown(() => execa('userdel', [name], { reject: false }))
  await execa('usermod', ['-v', range, '-w', range, name])
  return { name, start }
}


/** berthd with `args` run to its exit (a start-up failure): its status and stderr. */
async function failedStart (args: string[]): Promise<{ code: number | undefined, err: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'bt-userns-'))
  try {
    const r = await execa(...berthdCommand(['--socket', join(dir, 's.sock'), '--root', join(dir, 'sub', 'root'), '--state', join(dir, 'st'), ...args]), { reject: false, timeout: 30_000 })
    return { code: r.exitCode, err: r.stderr }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

t.test('start-up errors', async t => {
  const none = await failedStart(['--userns-remap', 'nobody:nogroup'])
  t.equal(none.code, 2)
  t.match(none.err, /no subuid ranges found for user "nobody" in \/etc\/subuid.*usermod -v/, 'a user without ranges: what to add')
  const { name } = await remapUser(t)
  // mkdtemp makes the dir above --root 0700: the remapped root could not reach its rootfs.
  const shut = await failedStart(['--userns-remap', name])
  t.equal(shut.code, 1)
  t.match(shut.err, /restricts access to the remapped root uid \d+: allow o\+x on it/)
})

dockerTest(t, 'remapped containers', async t => {
  const { name, start } = await remapUser(t)
  const d = await startDaemon(t, ['--userns-remap', name])
  await importBusybox(d)
  const remapDir = join(d.root, `${start}.${start}`)
  const layers = join(remapDir, 'layers')
  const map = `0 ${start} 65536`

  for (const rt of RUNTIMES) {
    t.test(`${rt}: root inside is ${start} outside`, async t => {
      const r = await docker(d, ['run', '--rm', '--runtime', rt, 'bb', 'sh', '-c', 'id; cat /proc/self/uid_map /proc/self/gid_map'])
      t.equal(r.exitCode, 0, r.stderr)
      t.match(r.stdout, /^uid=0\(root\) gid=0\(root\)/)
      t.equal(r.stdout.split('\n').slice(1).map(l => l.trim().split(/\s+/).join(' ')).join('\n'), `${map}\n${map}`, 'uid_map and gid_map')
      // crun 1.8.1 chowns its stdin, the host's /dev/null, to the container's root (crun#1845): berthd gives it back.
      const devNull = await stat('/dev/null')
      t.same([devNull.uid, devNull.gid], [0, 0], 'the host\'s /dev/null is still root\'s')
      // A file root makes in the rootfs is the remapped root's on the host (the overlay's upper dir).
      const c = await docker(d, ['run', '-d', '--runtime', rt, 'bb', 'sh', '-c', 'echo hi > /made; mkdir /var/d; sleep 60'])
      const id = c.stdout.trim()
      t.teardown(() => docker(d, ['rm', '-f', id]))
      const upper = join(d.root, 'containers', id, 'rootfs', 'upper')
      let st
      for (let i = 0; i < 100 && st === undefined; i++) st = await stat(join(upper, 'made')).catch(async () => { await new Promise(resolve => setTimeout(resolve, 50)); return undefined })
      t.equal(st?.uid, start, 'owner on the host')
      t.equal(st?.gid, start)
      // The network namespace is owned by the container's user namespace: the runtime set its sysctls (ping for the mapped gids), root binds port 80.
      const ex = await docker(d, ['exec', id, 'sh', '-c', 'cat /proc/sys/net/ipv4/ping_group_range; nc -l -p 80 & sleep 0.3; netstat -ltn | grep -c ":80 "'])
      t.equal(ex.exitCode, 0, ex.stderr)
      t.equal(ex.stdout.split(/\s+/).join(' '), '0 65535 1', 'ping range, port 80 bound')
    })
  }

  t.test('binds: a dir the remapped root owns is writable; a root-owned one is not (as under Docker)', async t => {
    const dir = await mkdtemp(join(tmpdir(), 'bt-userns-bind-'))
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    const own = await mkdtemp(join(dir, 'own-'))
    await chown(own, start, start)
    const root = await mkdtemp(join(dir, 'root-'))
    await execa('chmod', ['0755', dir, root])
    const r = await docker(d, ['run', '--rm', '-v', `${own}:/own`, '-v', `${root}:/root-owned`, 'bb', 'sh', '-c', 'touch /own/f && echo own-ok; touch /root-owned/f'])
    t.match(r.stdout, /own-ok/)
    t.match(r.stderr, /root-owned\/f: Permission denied/, 'host root\'s dir: root inside is not its owner')
    t.equal((await stat(join(own, 'f'))).uid, start)
  })

  t.test('one shifted copy of the layer, shared by the image\'s containers', async t => {
    const ids: string[] = []
    for (let i = 0; i < 2; i++) {
      const r = await docker(d, ['create', 'bb', 'true'])
      t.equal(r.exitCode, 0, r.stderr)
      ids.push(r.stdout.trim())
    }
    t.teardown(() => docker(d, ['rm', '-f', ...ids]))
    const lower = await Promise.all(ids.map(async id => (await d.req('GET', `/containers/${id}/json`)).body.GraphDriver.Data.LowerDir as string))
    t.equal(lower[0], lower[1], 'the same lower dir')
    t.ok(lower[0]!.startsWith(`${layers}/`), `under ${layers}`)
    t.equal((await readdir(layers)).length, 1, 'one copy for the one layer')
    const top = await stat(lower[0]!)
    t.equal(top.uid, start, 'the copy is shifted')
    const inspect = (await d.req('GET', `/containers/${ids[0]!}/json`)).body
    t.equal(inspect.HostConfig.UsernsMode, '', 'as Docker shows a remapped container')
    t.equal(inspect.GraphDriver.Data.UidMap, `0:${start}:65536`)
    t.equal(inspect.GraphDriver.Data.GidMap, `0:${start}:65536`)
    t.same([inspect.AppArmorProfile, inspect.ProcessLabel, inspect.MountLabel], ['', '', ''], 'no AppArmor or SELinux, as Docker shows on such a host')
  })

  t.test('--userns=host opts out; Docker\'s refusals', async t => {
    const r = await docker(d, ['run', '--rm', '--userns=host', 'bb', 'cat', '/proc/self/uid_map'])
    t.equal(r.exitCode, 0, r.stderr)
    t.equal(r.stdout.trim().split(/\s+/).join(' '), '0 0 4294967295', 'the host\'s ids')
    const c = await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['true'], HostConfig: { UsernsMode: 'host' } })
    t.equal(c.status, 201)
    const inspect = (await d.req('GET', `/containers/${c.body.Id as string}/json`)).body
    await d.req('DELETE', `/containers/${c.body.Id as string}`)
    t.equal(inspect.HostConfig.UsernsMode, 'host')
    t.notOk(inspect.GraphDriver.Data.LowerDir.startsWith(layers), 'the image\'s own layer')
    t.equal(inspect.GraphDriver.Data.UidMap, undefined)
    for (const [flags, msg] of [
      [['--privileged'], /privileged mode is incompatible with user namespaces/],
      [['--net=host'], /cannot share the host's network namespace when user namespaces are enabled/],
      [['--pid=host'], /cannot share the host PID namespace when user namespaces are enabled/]
    ] as const) {
      const f = await docker(d, ['run', '--rm', ...flags, 'bb', 'true'])
      t.not(f.exitCode, 0)
      t.match(f.stderr, msg, flags.join(' '))
      const ok = await docker(d, ['run', '--rm', ...flags, '--userns=host', 'bb', 'true'])
      t.equal(ok.exitCode, 0, `${flags.join(' ')} --userns=host: ${ok.stderr}`)
    }
    const other = await d.req('POST', '/containers/create', { Image: 'bb', Cmd: ['true'], HostConfig: { UsernsMode: 'private' } })
    t.equal(other.status, 400)
    t.match(other.body.message, /UsernsMode is not supported: use host or leave it empty/)
  })

  t.test('docker cp, export and commit hold the ids as seen inside; a new working dir is the remapped root\'s', async t => {
    const r = await docker(d, ['run', '-d', '--name', 'cpc', 'bb', 'sh', '-c', 'touch /committed; sleep 60'])
    t.equal(r.exitCode, 0, r.stderr)
    t.teardown(() => docker(d, ['rm', '-f', 'cpc']))
    const id = r.stdout.trim()
    const dir = await mkdtemp(join(tmpdir(), 'bt-userns-cp-'))
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    await writeFile(join(dir, 'in'), 'x')
    const cp = await docker(d, ['cp', join(dir, 'in'), 'cpc:/tmp/'])
    t.equal(cp.exitCode, 0, cp.stderr)
    const onHost = await stat(join(d.root, 'containers', id, 'rootfs', 'upper', 'tmp', 'in'))
    t.same([onHost.uid, onHost.gid], [start, start], 'cp in: root\'s file is the remapped root\'s on the host')
    const inside = await docker(d, ['exec', 'cpc', 'stat', '-c', '%u:%g', '/tmp/in'])
    t.equal(inside.stdout.trim(), '0:0', 'and root\'s inside')
    const owners = async (args: string[]): Promise<string> => {
      const out = await execa('sh', ['-c', `${DOCKER} "$@" | tar -tv --numeric-owner -f -`, 'sh', ...args], { env: dockerEnv(d), reject: false })
      t.equal(out.exitCode, 0, out.stderr)
      return out.stdout
    }
    t.match(await owners(['cp', 'cpc:/committed', '-']), /^-\S+ 0\/0 .* committed$/m, 'cp out: the owner as seen inside (a file root made inside)')
    t.match(await owners(['export', 'cpc']), /^-\S+ 0\/0 .* etc\/passwd$/m, 'export: the owners as seen inside')
    const c = await docker(d, ['commit', 'cpc', 'bt-userns-committed'])
    t.equal(c.exitCode, 0, c.stderr)
    t.teardown(() => docker(d, ['rmi', '-f', 'bt-userns-committed']))
    const host = await docker(d, ['run', '--rm', '--userns=host', 'bt-userns-committed', 'stat', '-c', '%u:%g', '/committed'])
    t.equal(host.stdout.trim(), '0:0', `commit: the layer holds root's ids, not the host's ${host.stderr}`)
    const wd = await docker(d, ['run', '--rm', '-w', '/new/wd', 'bb', 'sh', '-c', 'stat -c %u:%g /new /new/wd && touch f && echo made'])
    t.equal(wd.stdout.trim(), '0:0\n0:0\nmade', `a working dir the image lacks: root's inside ${wd.stderr}`)
  })

  t.test('file capabilities of an image survive the shifted copy, and leave as moby writes them', async t => {
    // v2 security.capability as setcap writes it, with bytes UTF-8 cannot carry (0x80): the layer's exact bytes must reach the copy.
    const body = await gnuTarWithXattrs([{ name: 'busybox', mode: 0o755, body: await readFile(join(ROOTFS, 'bin', 'busybox')), xattrs: { 'security.capability': CAPS_V2 } }])
    const imp = await d.client.request({ method: 'POST', path: '/images/create?fromSrc=-&repo=bt-userns-caps', headers: { 'content-type': 'text/plain' }, body })
    t.equal(imp.statusCode, 200, await imp.body.text())
    t.teardown(() => docker(d, ['rmi', '-f', 'bt-userns-caps']))
    for (const rt of RUNTIMES) {
      const r = await docker(d, ['run', '--rm', '--runtime', rt, '--user', '1000', 'bt-userns-caps', '/busybox', 'grep', 'CapEff', '/proc/self/status'])
      t.equal(r.stdout.trim().split(/\s+/).join(' '), `CapEff: ${CAPS_V2_EFFECTIVE}`, `${rt}: uid 1000 gets the file's capabilities ${r.stderr}`)
    }
    // In the shifted copy the capability is v3 with the remapped root's id; an export gives it back as v2, as dockerd's does.
    const c = await docker(d, ['create', 'bt-userns-caps', '/busybox', 'true'])
    t.equal(c.exitCode, 0, c.stderr)
    const id = c.stdout.trim()
    t.teardown(() => docker(d, ['rm', '-f', id]))
    const exp = await d.req('GET', `/containers/${id}/export`)
    t.equal(exp.status, 200)
    t.same((await tarXattrs(exp.raw)).find(m => m.name === 'busybox')?.xattrs, { 'security.capability': CAPS_V2.toString('hex') })
  })

  t.test('mount points the runtime makes for volumes, binds and tmpfs are the remapped root\'s', async t => {
    const dir = await mkdtemp(join(tmpdir(), 'bt-userns-mp-'))
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    await execa('chmod', ['0755', dir])
    await writeFile(join(dir, 'file'), 'hi')
    for (const rt of RUNTIMES) {
      const name = `bt-userns-mp-${rt}`
      t.teardown(async () => { await docker(d, ['rm', '-f', name]); await docker(d, ['volume', 'rm', '-f', name]) })
      // None of these paths is in the image; the bound host dir and file are host root's, so nobody's inside, as under Docker.
      const r = await docker(d, ['run', '--name', name, '--runtime', rt, '-v', `${name}:/data/deep`, '-v', `${dir}:/mnt/x/y`, '-v', `${dir}/file:/etc/new/f`,
        '--mount', 'type=tmpfs,target=/t/u', 'bb', 'stat', '-c', '%n %u:%g', '/data', '/data/deep', '/mnt', '/mnt/x', '/t', '/t/u', '/etc/new', '/mnt/x/y', '/etc/new/f'])
      t.equal(r.exitCode, 0, r.stderr)
      t.equal(r.stdout.trim(), ['/data', '/data/deep', '/mnt', '/mnt/x', '/t', '/t/u', '/etc/new'].map(p => `${p} 0:0`).concat(['/mnt/x/y 65534:65534', '/etc/new/f 65534:65534']).join('\n'), `${rt}: root's inside`)
      const upper = join(d.root, 'containers', (await d.req('GET', `/containers/${name}/json`)).body.Id, 'rootfs', 'upper')
      for (const p of ['data/deep', 'mnt/x/y', 'etc/new/f', 't/u']) {
        const st = await stat(join(upper, p))
        t.same([st.uid, st.gid], [start, start], `${rt}: ${p} in the upper dir`)
      }
    }
  })

  t.test('/info', async t => {
    const info = (await d.req('GET', '/info')).body
    t.ok(info.SecurityOptions.includes('name=userns'), 'name=userns, as dockerd shows when remapping')
    t.equal(info.DockerRootDir, remapDir, 'dockerd\'s <root>/<uid>.<gid>')
  })

  t.test('a failed start, then rm, leaves no namespace files', async t => {
    const r = await docker(d, ['run', '--name', 'nope', 'bb', '/no/such/binary'])
    t.not(r.exitCode, 0)
    t.match(r.stderr, /no such file or directory/)
    t.equal((await docker(d, ['rm', '-f', 'nope'])).exitCode, 0)
    // The network teardown runs after the remove answers.
    await until(async () => (await readdir(join(d.state, 'networks', 'netns'))).length === 0, 10_000, 'the namespace files to go').catch(() => {})
    t.same(await readdir(join(d.state, 'networks', 'netns')), [], 'netns and its user namespace file gone')
    const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n').filter(l => l.includes(d.dir) && l.startsWith('nsfs'))
    t.same(mounts, [], 'both unmounted')
  })

  t.test('a restart keeps everything; image removal takes the copy', async t => {
    const r = await docker(d, ['run', '-d', '--name', 'keep', 'bb', 'sleep', '600'])
    t.equal(r.exitCode, 0, r.stderr)
    await d.stop()
    const d2 = await d.restart()
    const ex = await docker(d2, ['exec', 'keep', 'cat', '/proc/self/uid_map'])
    t.equal(ex.stdout.trim().split(/\s+/).join(' '), map, 'exec after the restart: the same map')
    const again = await docker(d2, ['run', '--rm', 'bb', 'id', '-u'])
    t.equal(again.stdout.trim(), '0', again.stderr)
    t.equal((await readdir(layers)).length, 1, 'the copy is kept')
    t.equal((await docker(d2, ['rm', '-f', 'keep'])).exitCode, 0)
    const rmi = await docker(d2, ['rmi', 'bb'])
    t.equal(rmi.exitCode, 0, rmi.stderr)
    t.same(await readdir(layers), [], 'the shifted copy went with the image')
  })
})
