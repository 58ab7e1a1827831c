/** A complete container record for unit tests; tests override what they look at. */
import type { ContainerRecord } from '../../src/store/records.js'

export const record = (over: Partial<ContainerRecord> = {}): ContainerRecord => ({
  version: 1,
  id: 'abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789',
  name: 'web',
  created: '2024-01-02T03:04:05.5Z',
  bundle: '/bundles/web',
  runtime: 'crun',
  labels: { app: 'shop' },
  tty: true,
  openStdin: true,
  path: '/bin/sh',
  args: ['-c', 'echo hi'],
  env: ['PATH=/bin', 'A=1'],
  cwd: '/work',
  hostname: 'webhost',
  user: '1000:1000',
  status: 'running',
  pid: 4242,
  pidStart: 1,
  monitorPid: 4241,
  monitorStart: 1,
  exitCode: 0,
  error: '',
  oomKilled: false,
  startedAt: '2024-01-02T03:04:05Z',
  finishedAt: '0001-01-01T00:00:00Z',
  restartCount: 0,
  ...over
})
