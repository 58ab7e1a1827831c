/**
 * Exec start under load through docker-py (Debian's python3-docker): its
 * exec_run reads the `101 UPGRADED` head through a buffered reader and then
 * reads the raw socket, so any output that reached the socket with the head
 * is lost to it (issue 13 item 6). Docker writes the head before it starts
 * the process; so does berthd, and it holds the output back until the head
 * has been read.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { execa, execaSync } from 'execa'
import { importBusybox, startDaemon } from './helpers.js'

const PYTHON = '/usr/bin/python3'
const hasDockerPy = existsSync(PYTHON) && execaSync(PYTHON, ['-c', 'import docker'], { reject: false }).exitCode === 0
const STARTS = 1000
const THREADS = 4
const ATTACHES = 300

// Each thread execs `echo <n>` for its share of the numbers; every output and exit code that is not what
// echo gave is reported, with the first few of them.
const SCRIPT = `
import docker, json, sys, threading, time
c = docker.DockerClient(base_url='unix://' + sys.argv[1], version='auto', timeout=60)
n, threads = int(sys.argv[2]), int(sys.argv[3])
ct = c.containers.run('bb', ['sleep', '600'], detach=True, name='stress')
bad, done, lock = [], [0], threading.Lock()
def work(k):
    for i in range(k, n, threads):
        r = ct.exec_run(['echo', str(i)])
        with lock:
            done[0] += 1
            if r.exit_code != 0 or r.output != (str(i) + '\\n').encode():
                bad.append([i, r.exit_code, r.output.decode(errors='replace')])
ts = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
for x in ts: x.start()
for x in ts: x.join()
# A detached start (Detach: true, a plain 200) still runs the command to its exit code.
d = c.api.exec_create(ct.id, ['sh', '-c', 'echo gone > /tmp/d'])
c.api.exec_start(d, detach=True)
for _ in range(100):
    if not c.api.exec_inspect(d)['Running']: break
    time.sleep(0.05)
detached = [c.api.exec_inspect(d)['ExitCode'], ct.exec_run(['cat', '/tmp/d']).output.decode()]
ct.remove(force=True)
print(json.dumps({'done': done[0], 'bad': len(bad), 'first': bad[:5], 'detached': detached}))
`

t.test(`docker-py: ${STARTS} exec_run(echo) starts, every output seen`, { skip: hasDockerPy ? false : 'python3-docker is not installed (apt-get install -y python3-docker)' }, async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const r = await execa(PYTHON, ['-c', SCRIPT, d.socket, String(STARTS), String(THREADS)], { reject: false, timeout: 600_000 })
  t.equal(r.exitCode, 0, r.stderr)
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}')
  t.equal(out.done, STARTS, 'every exec ran')
  t.same([out.bad, out.first], [0, []], 'every exec_run returned its echo and exit code 0')
  t.same(out.detached, [0, 'gone\n'], 'a detached start still runs to its exit code')
})

// attach(logs=True) writes the log right after the head: without the wait for the head to be read, it raced docker-py's reader.
const ATTACH_SCRIPT = `
import docker, json, sys
c = docker.APIClient(base_url='unix://' + sys.argv[1], version='auto', timeout=60)
ct = c.create_container('bb', ['echo', 'logged'])
c.start(ct)
c.wait(ct)
seen = [c.attach(ct, stdout=True, stderr=True, logs=True, stream=False) for _ in range(int(sys.argv[2]))]
c.remove_container(ct)
print(json.dumps({'n': len(seen), 'bad': [x.decode(errors='replace') for x in seen if x != b'logged\\n'][:5]}))
`

t.test(`docker-py: ${ATTACHES} attach(logs=True) of a stopped container, every log seen`, { skip: hasDockerPy ? false : 'python3-docker is not installed (apt-get install -y python3-docker)' }, async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const r = await execa(PYTHON, ['-c', ATTACH_SCRIPT, d.socket, String(ATTACHES)], { reject: false, timeout: 300_000 })
  t.equal(r.exitCode, 0, r.stderr)
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}')
  t.same([out.n, out.bad], [ATTACHES, []], 'every attach returned the log')
})
