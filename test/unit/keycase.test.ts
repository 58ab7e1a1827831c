import t from 'tap'
import { canonicalKeys } from '../../src/api/keycase.js'
import { DockerCreateBody, ExecCreateBody, ExecStartBody } from '../../src/api/schemas.js'

t.test('keys in any case take the schema\'s spelling, nested objects too', async t => {
  const body = JSON.parse('{"image":"bb","CMD":["true"],"hostconfig":{"restartpolicy":{"name":"always","maximumRetryCount":0},"MEMORY":5},"Unknown":1}')
  canonicalKeys(body, DockerCreateBody)
  t.same(body, { Image: 'bb', Cmd: ['true'], HostConfig: { RestartPolicy: { Name: 'always', MaximumRetryCount: 0 }, Memory: 5 }, Unknown: 1 })
})

t.test('map keys are data and stay as sent; map values of known shape are canonicalised', async t => {
  const body = JSON.parse(`{"labels":{"image":"x","Cmd":"y"},"exposedports":{"80/tcp":{}},
    "HostConfig":{"logconfig":{"type":"json-file","config":{"max-size":"1m"}},"Tmpfs":{"/Run":"size=1m"},
      "portbindings":{"80/tcp":[{"hostip":"","hostport":"8080"}]},"ulimits":[{"name":"nofile","soft":1,"hard":2}]},
    "networkingconfig":{"endpointsconfig":{"Mynet":{"aliases":["a"]}}}}`)
  canonicalKeys(body, DockerCreateBody)
  t.same(body, {
    Labels: { image: 'x', Cmd: 'y' },
    ExposedPorts: { '80/tcp': {} },
    HostConfig: {
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } },
      Tmpfs: { '/Run': 'size=1m' },
      PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] },
      Ulimits: [{ Name: 'nofile', Soft: 1, Hard: 2 }]
    },
    NetworkingConfig: { EndpointsConfig: { Mynet: { Aliases: ['a'] } } }
  })
})

t.test('of two spellings of one field the later wins, as with Go\'s decoder', async t => {
  const first = JSON.parse('{"detachKeys":"ctrl-x","DetachKeys":"ctrl-y"}')
  canonicalKeys(first, ExecCreateBody)
  t.same(first, { DetachKeys: 'ctrl-y' })
  const last = JSON.parse('{"DetachKeys":"ctrl-y","detachkeys":"ctrl-x"}')
  canonicalKeys(last, ExecCreateBody)
  t.same(last, { DetachKeys: 'ctrl-x' })
})

t.test('union bodies, non-objects and no schema are left alone', async t => {
  const start = { detach: true, TTY: false }
  canonicalKeys(start, ExecStartBody)
  t.same(start, { Detach: true, Tty: false })
  const list = [{ image: 'x' }]
  canonicalKeys(list, DockerCreateBody)
  t.same(list, [{ image: 'x' }], 'an array where an object belongs is not walked')
  const free = { a: 1 }
  canonicalKeys(free, undefined)
  t.same(free, { a: 1 })
  const proto = JSON.parse('{"__proto__":{"x":1},"image":"bb"}')
  canonicalKeys(proto, DockerCreateBody)
  t.equal(Object.getPrototypeOf(proto), Object.prototype, 'a __proto__ key sets no prototype')
  t.equal(proto.Image, 'bb')
})
