import t from 'tap'
import { loadConfig, ConfigError } from '../../src/config.js'
import { checkNoCgroupLimits, lastMappedGid } from '../../src/security/rootless.js'

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
// Inside rootlesskit's namespaces berthd is uid 0: the tests run as root, so they stand there.
const INSIDE = { PATH, ROOTLESSKIT_STATE_DIR: '/run/user/1001/berthd-rootless/kit', XDG_RUNTIME_DIR: '/run/user/1001', HOME: '/home/u' }

t.test('--rootless: Docker\'s per-user defaults, crun, flags still win', async t => {
  const c = loadConfig(['--rootless'], INSIDE)
  t.equal(c.rootless, true)
  t.equal(c.socket, '/run/user/1001/berth/berth.sock')
  t.equal(c.state, '/run/user/1001/berth')
  t.equal(c.root, '/home/u/.local/share/berth')
  t.equal(c.defaultRuntime, 'crun')
  t.equal(loadConfig(['--rootless'], { ...INSIDE, XDG_DATA_HOME: '/data' }).root, '/data/berth', 'XDG_DATA_HOME first')
  t.equal(loadConfig([], { ...INSIDE, BERTH_ROOTLESS: '1' }).rootless, true, 'BERTH_ROOTLESS=1')
  const own = loadConfig(['--rootless', '--root', '/srv/b', '--runtime', 'runc'], INSIDE)
  t.equal(own.root, '/srv/b')
  t.equal(own.defaultRuntime, 'runc')
  t.equal(loadConfig([], INSIDE).rootless, false, 'off unless asked for')
})

t.test('--rootless refusals', async t => {
  const { XDG_RUNTIME_DIR: _x, ...noRuntimeDir } = INSIDE
  t.throws(() => loadConfig(['--rootless'], noRuntimeDir), new ConfigError('--rootless needs XDG_RUNTIME_DIR: a directory of your own, as a login session\'s /run/user/$(id -u)'))
  t.throws(() => loadConfig(['--rootless'], { PATH, XDG_RUNTIME_DIR: '/run/user/0', HOME: '/root' }), /--rootless is for an ordinary user/, 'root outside rootlesskit')
  t.throws(() => loadConfig(['--rootless', '--userns-remap', 'default'], INSIDE), /--userns-remap cannot be used with --rootless/, 'the two user-namespace modes do not mix')
})

t.test('lastMappedGid: the contiguous run from 0', async t => {
  t.equal(lastMappedGid('         0       1001          1\n         1     100000      65536\n'), 65536, 'rootlesskit\'s map')
  t.equal(lastMappedGid('0 0 4294967295'), 4294967294, 'the host\'s')
  t.equal(lastMappedGid('1 100000 10\n0 1001 1\n20 5 5'), 10, 'unordered, with a gap')
  t.equal(lastMappedGid(''), 0)
})

t.test('checkNoCgroupLimits: cgroup limits are 400s naming them', async t => {
  const refused = (hc: Record<string, unknown>, re: RegExp, name: string): void => {
    try { checkNoCgroupLimits(hc); t.fail(`${name}: accepted`) } catch (err) {
      t.equal((err as { code?: string }).code, 'INVALID_ARGUMENT', `${name}: a 400`)
      t.match((err as Error).message, re, name)
    }
  }
  // What the docker CLI sends for a plain `docker run`: every key, mostly zero, -1 for unlimited.
  t.doesNotThrow(() => checkNoCgroupLimits({ Memory: 0, MemorySwap: 0, MemorySwappiness: -1, PidsLimit: null, NanoCpus: 0, CpusetCpus: '', BlkioWeightDevice: [], OomKillDisable: false }))
  t.doesNotThrow(() => checkNoCgroupLimits({ MemorySwap: -1, PidsLimit: -1 }), 'unlimited is no limit')
  refused({ Memory: 64 << 20 }, /^rootless berthd cannot apply Memory: /, 'memory')
  refused({ NanoCpus: 1e9, CpuShares: 512, PidsLimit: 10, CgroupParent: 'x' }, /cannot apply NanoCpus, CpuShares, PidsLimit, CgroupParent:/, 'all named')
  refused({ BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 1 }] }, /BlkioDeviceReadBps/, 'blkio')
})
