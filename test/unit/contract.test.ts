/** The contract check itself must be able to fail. */
import t from 'tap'
import { contractProblem, dockerProblem, statusProblem } from '../contract.js'

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v))

t.test('contractProblem', async t => {
  t.equal(contractProblem('POST', '/containers', 201, 'application/json', json({ Id: 'a'.repeat(64), Warnings: [] })), undefined)
  t.equal(contractProblem('POST', '/v1.44/containers/abc/wait?condition=removed', 200, 'application/json', json({ StatusCode: 0, Error: null })), undefined)
  t.match(contractProblem('POST', '/containers', 201, 'application/json', json({ Id: 'nothex', Warnings: [] })), /does not match/)
  t.match(contractProblem('GET', '/containers/abc/json', 200, 'application/json', json({ Id: 'x' })), /does not match/)
  t.match(contractProblem('POST', '/containers/abc/start', 201, undefined, Buffer.alloc(0)), /status 201 is not documented/)
  t.match(contractProblem('POST', '/containers/abc/start', 204, undefined, Buffer.from('x')), /a body where none is documented/)
  t.match(contractProblem('GET', '/containers/abc/logs', 200, 'text/plain', Buffer.alloc(0)), /content type text\/plain is not documented/)
  t.equal(contractProblem('GET', '/containers/abc/logs', 200, 'application/vnd.docker.raw-stream', Buffer.from('hi')), undefined)
  t.match(contractProblem('GET', '/containers/abc/json', 404, 'application/json', json({ msg: 'x' })), /does not match/)
  t.match(contractProblem('PATCH', '/containers/abc', 200, undefined, Buffer.alloc(0)), /not in the document/)
  t.equal(contractProblem('GET', '/nosuch', 404, 'application/json', json({ message: 'page not found' })), undefined)
})

t.test('statusProblem: the status of a hijacked response, whose body is a stream', async t => {
  t.equal(statusProblem('POST', '/containers/abc/attach?stream=1&stdout=1', 101), undefined)
  t.equal(statusProblem('POST', '/v1.44/exec/abc/start', 409), undefined)
  t.match(statusProblem('POST', '/exec/abc/start', 418), /^POST \/exec\/abc\/start: status 418 is not documented$/)
  t.equal(statusProblem('POST', '/containers/abc/other', 404), undefined, 'an unknown route\'s 404')
})

t.test('dockerProblem: Docker\'s own document, where berth has Docker\'s routes', async t => {
  const inspect = (hostConfig: object, data: unknown): unknown => ({ Id: 'x', HostConfig: hostConfig, GraphDriver: { Name: 'overlay2', Data: data } })
  t.equal(dockerProblem('GET', '/containers/abc/json', 200, [inspect({ RestartPolicy: { Name: 'no' }, CgroupnsMode: 'host', Isolation: '' }, {})]), undefined,
    'conforms, with the README\'s two places where the 1.41 document is behind Docker')
  t.match(dockerProblem('GET', '/containers/abc/json', 200, [inspect({}, null)]), /GraphDriver\/Data must be object/, 'a required map may not be null')
  t.match(dockerProblem('GET', '/containers/abc/json', 200, [inspect({ CgroupnsMode: '' }, {})]), /CgroupnsMode must be equal to one of the allowed values/)
  t.match(dockerProblem('GET', '/containers/abc/json', 200, [inspect({ MemorySwappiness: -1 }, {})]), /MemorySwappiness must be >= 0/)
  t.match(dockerProblem('GET', '/images/a/b:c/json', 200, [{ Id: 1 }]), /^GET \/images\/\{name\}\/json 200: .*Id must be string/, 'image names with slashes find their route')
  t.equal(dockerProblem('GET', '/containers/abc/json', 200, [{ Id: 'x', Extra: { anything: 1 } }]), undefined, 'fields newer than 1.41 are fine')
  t.match(dockerProblem('POST', '/containers/abc/start', 400, [{ msg: 'x' }]), /message/, 'an error status Docker does not list still has Docker\'s error body')
  t.equal(dockerProblem('POST', '/containers/abc/start', 400, [{ message: 'x' }]), undefined)
  t.equal(dockerProblem('GET', '/openapi.json', 200, [{}]), undefined, 'a route Docker does not have is not Docker\'s to judge')
})
