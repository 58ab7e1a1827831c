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
ln = c.containers.run('bb', ['sh', '-c', 'printf "hello\\\\nworld\\\\n"; echo after'], detach=True)
ln.wait()
out['items'] = [x.decode() for x in ln.logs(stream=True)]
ln.remove()
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
  t.same(out.items, ['hello\n', 'world\n', 'after\n'], 'iterating logs(stream=True): one item per line, as Docker sends a frame per line')
  t.same(out.detached, ['created', 4], 'run(detach=True): the object as created (docker-py does not reload it); wait() gives the code')
  t.same(out.after, ['exited', 4])
  t.same(out.left, [], 'removed')
})
