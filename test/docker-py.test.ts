/**
 * docker-py (Debian's python3-docker) against berthd: the calls a Python user
 * makes every day, each checked for what the user would see.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { execa, execaSync } from 'execa'
import { importBusybox, startDaemon } from './helpers.js'

const PYTHON = '/usr/bin/python3'
const hasDockerPy = existsSync(PYTHON) && execaSync(PYTHON, ['-c', 'import docker'], { reject: false }).exitCode === 0

// One script, one JSON line of results: each value is what a user's program would print.
const SCRIPT = `
import docker, json, sys
c = docker.DockerClient(base_url='unix://' + sys.argv[1], version='auto')
out = {}
out['api'] = c.version()['ApiVersion']
out['run'] = c.containers.run('bb', ['sh', '-c', 'echo hi; echo err >&2'], remove=True).decode()
ct = c.containers.run('bb', ['sleep', '100'], detach=True, name='py1', labels={'app': 'py'})
out['status'] = c.containers.get('py1').status
out['listed'] = [x.name for x in c.containers.list(filters={'label': 'app=py'})]
r = ct.exec_run(['sh', '-c', 'echo x; exit 3'])
out['exec'] = [r.exit_code, r.output.decode()]
s = ct.stats(stream=False)
out['stats'] = [s['memory_stats'].get('usage', 0) > 0, s['pids_stats'].get('current', 0) >= 1]
ct.stop(timeout=1)
out['wait'] = ct.wait()
ct.remove()
lg = c.containers.create('bb', ['sh', '-c', 'echo one; sleep 0.5; echo two; echo three >&2'], name='py2')
lg.start()
out['stream'] = b''.join(lg.logs(stream=True)).decode()
out['tail'] = lg.logs(tail=2, timestamps=True).decode()
out['stdout_only'] = lg.logs(stderr=False).decode()
lg.remove()
dt = c.containers.run('bb', ['sh', '-c', 'sleep 0.3; exit 4'], detach=True)
out['detached'] = [dt.status, dt.wait()['StatusCode']]
dt.reload()
out['after'] = [dt.status, dt.attrs['State']['ExitCode']]
dt.remove()
out['left'] = [x.name for x in c.containers.list(all=True)]
print(json.dumps(out))
`

t.test('docker-py: run, get, list, exec_run, stats, stop, wait, remove, create/start/logs, run(detach)', { skip: hasDockerPy ? false : 'python3-docker is not installed (apt-get install -y python3-docker)' }, async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const r = await execa(PYTHON, ['-c', SCRIPT, d.socket], { reject: false, timeout: 120_000 })
  t.equal(r.exitCode, 0, r.stderr)
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}')
  t.equal(out.api, '1.44', 'version negotiated')
  t.equal(out.run, 'hi\n', 'containers.run returns stdout')
  t.equal(out.status, 'running')
  t.same(out.listed, ['py1'], 'list with a label filter')
  t.same(out.exec, [3, 'x\n'], 'exec_run: exit code and output')
  t.same(out.stats, [true, true], 'stats: memory usage and pids')
  t.same(out.wait, { StatusCode: 137, Error: null }, 'sleep ignores SIGTERM: killed after the stop timeout')
  t.equal(out.stream, 'one\ntwo\nthree\n', 'logs(stream=True) follows until the container stops')
  t.match(out.tail, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z two\n\d{4}-\d\d-\d\dT[\d:.]+Z three\n$/, 'logs(tail=2, timestamps=True)')
  t.equal(out.stdout_only, 'one\ntwo\n')
  t.same(out.detached, ['created', 4], 'run(detach=True): the object as created (docker-py does not reload it); wait() gives the code')
  t.same(out.after, ['exited', 4])
  t.same(out.left, [], 'removed')
})

// docker-py sends exec create's detach keys as `detachKeys`; Docker's decoder matches it to DetachKeys.
// images.load raises ImageLoadError from the stream's errorDetail: Docker answers a failed load with 200.
const DETACH_SCRIPT = `
import docker, json, socket, sys
c = docker.APIClient(base_url='unix://' + sys.argv[1], version='auto')
ct = c.create_container('bb', ['sleep', '60'])
c.start(ct)
ex = c.exec_create(ct, ['cat'], stdin=True, tty=True, detach_keys='ctrl-x')
s = c.exec_start(ex, socket=True, tty=True)
raw = getattr(s, '_sock', s)
raw.settimeout(5)
raw.sendall(b'\\x18')
closed = False
try:
    while raw.recv(4096):
        pass
    closed = True
except socket.timeout:
    pass
out = {'detached': closed, 'running': c.exec_inspect(ex)['Running']}
try:
    docker.DockerClient(base_url='unix://' + sys.argv[1], version='auto').images.load(b'not a tar archive' * 100)
    out['load'] = 'loaded'
except docker.errors.ImageLoadError as e:
    out['load'] = str(e)
print(json.dumps(out))
`

t.test('docker-py: exec_create(detach_keys=...) detaches on those keys; images.load raises the daemon\'s error', { skip: hasDockerPy ? false : 'python3-docker is not installed (apt-get install -y python3-docker)' }, async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const r = await execa(PYTHON, ['-c', DETACH_SCRIPT, d.socket], { reject: false, timeout: 60_000 })
  t.equal(r.exitCode, 0, r.stderr)
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}')
  t.same([out.detached, out.running], [true, true], 'ctrl-x closed the stream; cat runs on')
  t.match(out.load, /^invalid image archive: Invalid tar header/, 'images.load of a non-archive: ImageLoadError with the message from the stream')
})

/** SystemInfo's fields in moby's api/swagger.yaml (Debian's golang-github-docker-docker-dev), and CDISpecDirs from API 1.44. */
const SYSTEM_INFO = ('ID Containers ContainersRunning ContainersPaused ContainersStopped Images Driver DriverStatus DockerRootDir Plugins ' +
  'MemoryLimit SwapLimit KernelMemory CpuCfsPeriod CpuCfsQuota CPUShares CPUSet PidsLimit OomKillDisable IPv4Forwarding BridgeNfIptables ' +
  'BridgeNfIp6tables Debug NFd NGoroutines SystemTime LoggingDriver CgroupDriver CgroupVersion NEventsListener KernelVersion OperatingSystem ' +
  'OSVersion OSType Architecture NCPU MemTotal IndexServerAddress RegistryConfig GenericResources HttpProxy HttpsProxy NoProxy Name Labels ' +
  'ExperimentalBuild ServerVersion ClusterStore ClusterAdvertise Runtimes DefaultRuntime Swarm LiveRestoreEnabled Isolation InitBinary ' +
  'ContainerdCommit RuncCommit InitCommit SecurityOptions ProductLicense DefaultAddressPools Warnings CDISpecDirs').split(' ')

t.test('docker-py: info() has every field of Docker\'s SystemInfo', { skip: hasDockerPy ? false : 'python3-docker is not installed (apt-get install -y python3-docker)' }, async t => {
  const d = await startDaemon(t)
  const script = 'import docker, json, sys\nprint(json.dumps(docker.APIClient(base_url="unix://" + sys.argv[1], version="auto").info()))'
  const r = await execa(PYTHON, ['-c', script, d.socket], { reject: false, timeout: 60_000 })
  t.equal(r.exitCode, 0, r.stderr)
  const info = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}')
  t.same(Object.keys(info).sort(), [...SYSTEM_INFO].sort(), 'the same fields')
  t.match(info, {
    Debug: true, // the test daemon logs at debug level
    ExperimentalBuild: false,
    LiveRestoreEnabled: true,
    LoggingDriver: 'json-file',
    NGoroutines: 0,
    Swarm: { LocalNodeState: 'inactive', ControlAvailable: false },
    Plugins: { Log: ['json-file', 'k8s-file'] }
  })
  t.ok(info.NFd > 0, 'open descriptors counted')
  t.ok(Math.abs(Date.parse(info.SystemTime) - Date.now()) < 60_000, 'SystemTime is now')
})
