/**
 * Who may use berthd: the Unix socket's group and mode (--group), TCP with
 * TLS client certificates (--tlsverify) driven by the real docker client,
 * and plain TCP refused unless asked for by name (--insecure-tcp).
 */
import t, { type Test } from 'tap'
import { execa } from 'execa'
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { connect as tlsConnect } from 'node:tls'
import { readFileSync } from 'node:fs'
import WebSocket from 'ws'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { berthdCommand, DOCKER, dockerTest, freePort, importBusybox, startDaemon, until, type Daemon } from './helpers.js'

/** Starts berthd with `args` and waits until every listener is bound (the Unix socket answers first). */
async function startServing (t: Test, args: string[]): Promise<Daemon> {
  const d = await startDaemon(t, args)
  await until(() => d.stderr().includes('"msg":"berthd serving"'), 10_000, 'berthd serving')
  return d
}

/** A temp dir removed in teardown. */
async function tempDir (t: Test, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

const openssl = async (dir: string, args: string[]): Promise<void> => { await execa('openssl', args, { cwd: dir }) }

/**
 * A CA (ca.pem) with a server pair for 127.0.0.1 (server-cert.pem,
 * server-key.pem) and a client pair named as DOCKER_CERT_PATH wants them
 * (cert.pem, key.pem): Docker's "protect the daemon socket" recipe, with EC keys.
 */
async function makePki (dir: string): Promise<void> {
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  await openssl(dir, ['req', '-x509', ...key, '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=berth test CA'])
  await writeFile(join(dir, 'server.ext'), 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n')
  await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage = clientAuth\n')
  const pairs: Array<[string, string, string, string, string]> = [
    ['server', '/CN=127.0.0.1', 'server.ext', 'server-key.pem', 'server-cert.pem'],
    ['client', '/CN=client', 'client.ext', 'key.pem', 'cert.pem']
  ]
  for (const [name, subj, ext, keyFile, certFile] of pairs) {
    await openssl(dir, ['req', '-new', ...key, '-keyout', keyFile, '-out', `${name}.csr`, '-subj', subj])
    await openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', certFile])
  }
}

/** Runs berthd expecting it to refuse to start; returns its exit code and stderr. */
async function refusedStart (args: string[]): Promise<{ code: number | undefined, stderr: string }> {
  const r = await execa(...berthdCommand(args), { reject: false, timeout: 20_000, stdin: 'ignore' })
  return { code: r.exitCode, stderr: r.stderr }
}

/**
 * Connects over TLS with `creds` (or none) and asks for /_ping; returns what
 * came back over HTTP (nothing when the handshake was refused) and the error.
 */
function pingOverTls (port: number, ca: Buffer, creds?: { cert: Buffer, key: Buffer }): Promise<{ http: string, error?: string }> {
  return new Promise(resolve => {
    let http = ''
    let error: string | undefined
    const s = tlsConnect({ host: '127.0.0.1', port, ca, ...creds, servername: undefined })
    s.on('secureConnect', () => s.write('GET /_ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'))
    s.on('data', (c: Buffer) => { http += c.toString() })
    s.on('error', err => { error = err.message })
    s.on('close', () => resolve({ http, error }))
    s.setTimeout(10_000, () => s.destroy(new Error('timed out')))
  })
}

dockerTest(t, 'TLS over TCP: the docker client with a certificate works; without one it gets nothing', async t => {
  const pki = await tempDir(t, 'bt-pki-')
  await makePki(pki)
  const port = await freePort()
  const d = await startServing(t, ['-H', 'unix://', '-H', `tcp://127.0.0.1:${port}`, '--tlsverify',
    '--tlscacert', join(pki, 'ca.pem'), '--tlscert', join(pki, 'server-cert.pem'), '--tlskey', join(pki, 'server-key.pem')])
  await importBusybox(d, 'bb')
  const env = { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: pki, DOCKER_CONFIG: join(d.dir, 'docker-config') }
  const docker = (args: string[], input = '') => execa(DOCKER, args, { env, input, reject: false, timeout: 30_000, killSignal: 'SIGKILL' })

  const version = await docker(['version', '--format', '{{.Server.APIVersion}} {{.Server.Os}}'])
  t.equal(version.exitCode, 0, version.stderr)
  t.equal(version.stdout, '1.44 linux')
  const hi = await docker(['run', '--rm', 'bb', 'echo', 'hi'])
  t.equal(hi.exitCode, 0, hi.stderr)
  t.equal(hi.stdout, 'hi')
  // Attached stdin over the TLS connection, closed by the client: the output after it still arrives.
  const cat = await docker(['run', '--rm', '-i', 'bb', 'sh', '-c', 'cat; echo done'], 'line one\nline two\n')
  t.equal(cat.exitCode, 0, cat.stderr)
  t.equal(cat.stdout, 'line one\nline two\ndone')
  const exit = await docker(['run', '--rm', '-i', 'bb', 'sh', '-c', 'read x; exit $x'], '7\n')
  t.equal(exit.exitCode, 7, 'the exit code comes back over TLS')

  const ca = readFileSync(join(pki, 'ca.pem'))
  const mine = { cert: readFileSync(join(pki, 'cert.pem')), key: readFileSync(join(pki, 'key.pem')) }
  // The websocket attach, the other kind of upgrade, over wss:// with the client certificate.
  const created = await d.req('POST', '/containers/create?name=wsbox', { Image: 'bb', Cmd: ['sh', '-c', 'read line; echo "got $line"'], OpenStdin: true, StdinOnce: true })
  t.equal(created.status, 201)
  const ws = new WebSocket(`wss://127.0.0.1:${port}/containers/wsbox/attach/ws?stream=1&stdin=1&stdout=1`, { ca, ...mine })
  t.teardown(() => ws.terminate())
  let wsOut = ''
  ws.on('message', (m: Buffer) => { wsOut += m.toString() })
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  t.equal((await d.req('POST', '/containers/wsbox/start')).status, 204)
  ws.send('over wss\n')
  await until(() => wsOut.includes('got over wss'), 10_000, 'the container\'s answer over wss://')

  const good = await pingOverTls(port, ca, mine)
  t.match(good.http, /^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nOK$/, 'a client certificate from the CA gets the ping')

  const none = await pingOverTls(port, ca)
  t.equal(none.http, '', 'no certificate: not even _ping')
  t.match(none.error, /certificate required|handshake failure|socket hang up|ECONNRESET/i)

  const other = await tempDir(t, 'bt-pki-')
  await makePki(other)
  const foreign = await pingOverTls(port, ca, { cert: readFileSync(join(other, 'cert.pem')), key: readFileSync(join(other, 'key.pem')) })
  t.equal(foreign.http, '', 'a certificate from another CA: not even _ping')

  const noCert = await execa(DOCKER, ['version'], { env: { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_CONFIG: env.DOCKER_CONFIG }, reject: false, timeout: 30_000, killSignal: 'SIGKILL' })
  t.not(noCert.exitCode, 0, 'the docker client without TLS is refused')
  t.notMatch(noCert.stdout, /Server:/)

  const refusals = d.stderr().split('\n').filter(l => l.includes('TLS handshake refused'))
  t.match(refusals.join('\n'), /peer did not return a certificate/, 'a missing certificate is logged as such')
  t.match(refusals.join('\n'), /UNABLE_TO_VERIFY_LEAF_SIGNATURE/, 'a foreign one too')
  t.equal((await d.req('GET', '/_ping')).status, 200, 'the Unix socket is served alongside')

  await d.req('DELETE', '/containers/wsbox?force=1')
  await d.stop()
  const after = await pingOverTls(port, ca, mine)
  t.match(after.error, /ECONNREFUSED/, 'the port is closed on shutdown')
})

t.test('plain TCP is refused at start-up unless --insecure-tcp, which warns loudly', async t => {
  const dir = await tempDir(t, 'bt-')
  const port = await freePort()
  const base = ['--socket', join(dir, 's.sock'), '--root', join(dir, 'root'), '--state', join(dir, 'st')]
  const plain = await refusedStart([...base, '-H', `tcp://127.0.0.1:${port}`])
  t.equal(plain.code, 2)
  t.match(plain.stderr, /refusing to serve tcp:\/\/127\.0\.0\.1:\d+ without TLS: anyone who can connect would have root on this host.*--insecure-tcp/)
  const noKey = await refusedStart([...base, '-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', '/x', '--tlscert', '/y'])
  t.match(noKey.stderr, /--tlsverify needs --tlskey/)
  const missing = await refusedStart([...base, '-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', join(dir, 'nope.pem'), '--tlscert', '/y', '--tlskey', '/z'])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /cannot read --tlscacert .*nope\.pem/)
  const badHost = await refusedStart([...base, '-H', 'udp://1.2.3.4:5'])
  t.match(badHost.stderr, /invalid -H "udp:\/\/1\.2\.3\.4:5"/)

  const d = await startServing(t, ['-H', 'unix://', '-H', `tcp://127.0.0.1:${port}`, '--insecure-tcp'])
  t.match(d.stderr(), /"level":40[^\n]*WITHOUT TLS \(--insecure-tcp\): anyone who can connect to this port has root/, 'a warning')
  const r = await fetch(`http://127.0.0.1:${port}/_ping`)
  t.equal(r.status, 200)
  t.equal(await r.text(), 'OK')
})

t.test('--group: the socket is root:GROUP 0660; members may connect, others may not', async t => {
  const suffix = Math.random().toString(36).slice(2, 8)
  const group = `btg${suffix}`
  const member = `btm${suffix}`
  const outsider = `bto${suffix}`
  // Registered before they exist: a failing test still removes them.
  t.teardown(async () => {
    for (const u of [member, outsider]) await execa('userdel', [u], { reject: false })
    await execa('groupdel', [group], { reject: false })
  })
  await execa('groupadd', [group])
  await execa('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', '--groups', group, member])
  await execa('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', outsider])
  const gid = Number((await execa('getent', ['group', group])).stdout.split(':')[2])

  const unknown = await refusedStart(['--socket', '/tmp/never.sock', '--group', `nosuch${suffix}`])
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, new RegExp(`--group: group "nosuch${suffix}" not found`))

  const d: Daemon = await startDaemon(t, ['--group', group])
  const st = await stat(d.socket)
  t.equal(st.uid, 0, 'owned by root')
  t.equal(st.gid, gid, `group ${group}`)
  t.equal(st.mode & 0o777, 0o660, 'mode 0660')
  // The test's temp dir is root's alone; others may pass through it to the socket, as through /run/berth.
  await chmod(d.dir, 0o711)
  const curlAs = (user: string) => execa('setpriv', ['--reuid', user, '--regid', user, '--init-groups', '--',
    'curl', '-sS', '--max-time', '10', '--unix-socket', d.socket, 'http://localhost/_ping'], { reject: false, timeout: 20_000 })
  const asMember = await curlAs(member)
  t.equal(asMember.exitCode, 0, asMember.stderr)
  t.equal(asMember.stdout, 'OK', 'a member of the group gets the ping')
  const asOutsider = await curlAs(outsider)
  t.not(asOutsider.exitCode, 0)
  t.match(asOutsider.stderr, /Permission denied|Couldn't connect/, 'anyone else is refused by the socket\'s mode')
})
