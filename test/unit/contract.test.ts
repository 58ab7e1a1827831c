/** The contract check itself must be able to fail. */
import t from 'tap'
import { contractProblem } from '../contract.js'

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
