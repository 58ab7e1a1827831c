import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isAlive, startTime } from '../../src/proc.js'

/** Field 22 of /proc/<pid>/stat, the plain way. */
async function naiveStart (pid: number): Promise<number> {
  const s = await readFile(`/proc/${pid}/stat`, 'utf8')
  return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[19])
}

t.test('startTime and isAlive read /proc/<pid>/stat as a plain split does', async t => {
  const start = startTime(process.pid)
  t.ok(start > 0)
  t.equal(start, await naiveStart(process.pid))
  t.equal(isAlive(process.pid, start), true)
  t.equal(isAlive(process.pid, start + 1), false, 'another start time: a reused pid')
  t.equal(isAlive(process.pid), true)
  t.equal(isAlive(0), false)
  t.equal(isAlive(-1), false)
  t.equal(startTime(2 ** 22 + 12345), 0, 'no such pid')
})

t.test('a command name with spaces and parentheses', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'bt-proc-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const odd = join(dir, 'a b) (c')
  await symlink('/bin/sleep', odd)
  const child = spawn(odd, ['30'], { stdio: 'ignore' })
  const exited = new Promise(resolve => child.once('exit', resolve))
  t.teardown(async () => { child.kill('SIGKILL'); await exited })
  await new Promise(resolve => child.once('spawn', resolve))
  const pid = child.pid!
  t.match(await readFile(`/proc/${pid}/stat`, 'utf8'), /\(a b\) \(c\)/, 'comm holds the odd name')
  t.equal(startTime(pid), await naiveStart(pid))
  t.equal(isAlive(pid, startTime(pid)), true)
  child.kill('SIGKILL')
  await exited
  t.equal(isAlive(pid), false, 'gone once reaped')
})
