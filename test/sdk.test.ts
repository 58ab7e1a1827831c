/** The generated TypeScript SDK (openapi/ts + openapi-fetch) drives a real berthd over its Unix socket. */
import t from 'tap'
import createClient from 'openapi-fetch'
import { Agent, fetch as undiciFetch, Request as UndiciRequest } from 'undici'
import type { paths } from '../openapi/ts/schema.js'
import { deframe } from '../src/logs/logs.js'
import { makeBundle, startDaemon } from './helpers.js'
import { contractProblem } from './contract.js'

t.test('the generated client drives berthd', async t => {
  const d = await startDaemon(t)
  const dispatcher = new Agent({ connect: { socketPath: d.socket } })
  t.teardown(() => dispatcher.close())
  const client = createClient<paths>({
    baseUrl: 'http://localhost',
    Request: UndiciRequest as unknown as typeof Request,
    fetch: async (req: Request) => {
      const res = await undiciFetch(req as unknown as UndiciRequest, { dispatcher })
      // Every response the SDK sees is also held to the document.
      const body = Buffer.from(await res.clone().arrayBuffer())
      const problem = contractProblem(req.method, new URL(req.url).pathname + new URL(req.url).search, res.status, res.headers.get('content-type') ?? undefined, body)
      if (problem !== undefined) throw new Error(`response breaks the contract: ${problem}`)
      return res as unknown as Response
    }
  })

  const ping = await client.GET('/_ping', { parseAs: 'text' })
  t.equal(ping.data, 'OK')
  const version = await client.GET('/version')
  t.equal(version.data?.ApiVersion, '1.44')

  const bundle = await makeBundle(d, ['sh', '-c', 'echo from-sdk; echo oops >&2; exit 6'])
  const created = await client.POST('/containers', { body: { Bundle: bundle, Name: 'sdk-one', Labels: { via: 'sdk' } } })
  t.equal(created.response.status, 201)
  const id = created.data!.Id
  t.match(id, /^[0-9a-f]{64}$/)

  const inspected = await client.GET('/containers/{id}/json', { params: { path: { id: 'sdk-one' } } })
  t.equal(inspected.data?.State.Status, 'created')
  t.equal(inspected.data?.Config.Labels.via, 'sdk')

  const started = await client.POST('/containers/{id}/start', { params: { path: { id } } })
  t.equal(started.response.status, 204)
  const waited = await client.POST('/containers/{id}/wait', { params: { path: { id }, query: { condition: 'not-running' } } })
  t.same(waited.data, { StatusCode: 6, Error: null })

  const logs = await client.GET('/containers/{id}/logs', { params: { path: { id }, query: { stdout: '1', stderr: '1' } }, parseAs: 'arrayBuffer' })
  const frames = deframe(Buffer.from(logs.data as ArrayBuffer))
  t.same(frames.map(f => [f.stream, f.data.toString()]), [[1, 'from-sdk\n'], [2, 'oops\n']])

  const listed = await client.GET('/containers/json', { params: { query: { all: '1', filters: JSON.stringify({ label: ['via=sdk'] }) } } })
  t.same(listed.data?.map(c => c.Names[0]), ['/sdk-one'])
  const none = await client.GET('/containers/json', { params: { query: { all: 'true', filters: JSON.stringify({ status: ['running'] }) } } })
  t.same(none.data, [])

  // Error paths come back typed, with Docker's message.
  const missing = await client.GET('/containers/{id}/json', { params: { path: { id: 'nosuch' } } })
  t.equal(missing.response.status, 404)
  t.equal(missing.error?.message, 'No such container: nosuch')
  const dup = await client.POST('/containers', { body: { Bundle: bundle, Name: 'sdk-one' } })
  t.equal(dup.response.status, 409)
  t.match(dup.error?.message, /already in use/)
  const badKill = await client.POST('/containers/{id}/kill', { params: { path: { id }, query: { signal: 'NOPE' } } })
  t.equal(badKill.response.status, 400)
  t.equal(badKill.error?.message, 'Invalid signal: NOPE')

  const removed = await client.DELETE('/containers/{id}', { params: { path: { id } } })
  t.equal(removed.response.status, 204)
  const gone = await client.GET('/containers/{id}/json', { params: { path: { id } } })
  t.equal(gone.response.status, 404)
})
