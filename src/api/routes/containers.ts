/** Container routes: thin handlers over the container manager. */
import type { ServerResponse } from 'node:http'
import { pipeline } from 'node:stream/promises'
import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import type { ContainerManager } from '../../containers/manager.js'
import { listsAll, parseFilters, matches } from '../../containers/filters.js'
import { parseSignal } from '../../containers/signals.js'
import { inspect, summary, SummaryCache } from '../../containers/view.js'
import { isRunning, isUp } from '../../containers/state.js'
import { invalid, notImplemented } from '../../errors.js'
import { logStream, parseTimeParam } from '../../logs/logs.js'
import { bool } from '../docker.js'
import * as S from '../schemas.js'
import { DockerCreateBody } from '../../containers/createbody.js'
import { NAME_PATTERN } from '../../containers/names.js'

const tags = ['Container']

export const containerRoutes: FastifyPluginAsyncTypebox<{ manager: ContainerManager }> = async (app, { manager }) => {
  app.post('/containers', {
    schema: {
      tags, operationId: 'ContainerCreateFromBundle', summary: 'Create a container from an OCI bundle',
      description: 'Copies the bundle\'s config.json into berth\'s state (root.path made absolute), starts one conmon monitor, and waits for the runtime\'s create. The container is left created, not started.',
      body: S.CreateBody,
      response: { 201: S.CreateResponse, ...S.errors(400, 409, 413, 500) }
    }
  }, async (req, reply) => {
    const b = req.body
    const id = await manager.create({
      bundle: b.Bundle, name: b.Name, runtime: b.Runtime, labels: b.Labels, tty: b.Tty, openStdin: b.OpenStdin, stdinOnce: b.StdinOnce,
      consoleSize: b.ConsoleSize as [number, number] | undefined, restartPolicy: b.RestartPolicy
    })
    return reply.code(201).send({ Id: id, Warnings: [] })
  })

  app.post('/containers/create', {
    schema: {
      tags, operationId: 'ContainerCreate', summary: 'Create a container from an image (Docker\'s create)',
      description: 'Docker\'s body: the image\'s layers become the container\'s overlay rootfs, and the OCI spec is made as Docker makes it ' +
        '(namespaces, default mounts and capabilities, masked paths, /etc/hostname, hosts and resolv.conf, Env, User, WorkingDir, ' +
        'Entrypoint and Cmd merged with the image\'s, the HostConfig limits). A field set to a value berth does not support is refused ' +
        'with a 400 naming it; the zero values clients send for unused fields are accepted. 404 `No such image` for an unknown image.',
      querystring: Type.Object({
        name: Type.Optional(Type.String({ pattern: `^$|${NAME_PATTERN}`, description: 'Container name, Docker\'s pattern; generated when absent' })),
        platform: Type.Optional(Type.String({ description: 'Accepted and ignored: images here are for this machine' }))
      }),
      body: DockerCreateBody,
      response: { 201: S.CreateResponse, ...S.errors(400, 404, 409, 413, 500) }
    }
  }, async (req, reply) => {
    const id = await manager.createFromImage(req.body, req.query.name)
    return reply.code(201).send({ Id: id, Warnings: [] })
  })

  const list = {
    schema: {
      tags, operationId: 'ContainerList', summary: 'List containers',
      description: 'Running and restarting containers; all of them with all=1, a positive limit or a status filter, as Docker does. Newest first.',
      querystring: S.ListQuery,
      response: { 200: Type.Array(S.ContainerSummary, { description: 'The containers' }), ...S.errors(400, 404) }
    }
  } as const
  const summaries = new SummaryCache(id => manager.networks.attachment(id), id => manager.health.state(id))
  const listContainers = async (q: Static<typeof S.ListQuery>, reply: FastifyReply): Promise<FastifyReply | Array<ReturnType<typeof summary>>> => {
    const filters = parseFilters(q.filters)
    const all = listsAll(bool(q.all), q.limit, filters)
    // The clock in whole seconds: each Status text ("Up 5 seconds") then changes at most once a second, all at
    // the same tick, so a kept answer serves every request until then; with each container's own second
    // boundary, 500 running changed the answer about 500 times a second and it was built again for nearly every request.
    const now = Math.floor(Date.now() / 1000) * 1000
    const refs = { ...manager.filterRefs(filters), health: (id: string) => manager.health.status(id) }
    let recs = manager.list().filter(r => (all || isUp(r.status)) && matches(r, filters, refs))
    if (q.limit !== undefined && q.limit > 0) recs = recs.slice(0, q.limit)
    // The answer as JSON.stringify would write it, from each container's cached text (or a whole kept answer); bytes are sent as they are.
    if (!bool(q.size)) return reply.type('application/json').send(summaries.list(recs, now))
    return await Promise.all(recs.map(async r => ({ ...summary(r, now, manager.networks.attachment(r.id), manager.health.state(r.id)), ...await manager.settings.sizes(r) })))
  }
  app.get('/containers/json', list, async (req, reply) => listContainers(req.query, reply))
  app.get('/containers', { schema: { ...list.schema, operationId: 'ContainerListAlias', summary: 'List containers (alias of /containers/json)' } }, async (req, reply) => listContainers(req.query, reply))

  app.get('/containers/:id/json', {
    schema: {
      tags, operationId: 'ContainerInspect', summary: 'Inspect a container',
      params: S.IdParams, querystring: Type.Object({ size: Type.Optional(S.DockerBool) }),
      response: { 200: S.ContainerInspect, ...S.errors(400, 404) }
    }
  }, async (req) => {
    const rec = manager.resolve(req.params.id)
    const doc = { ...inspect(rec, manager.logPath(rec.id), manager.interactive.execIds(rec.id), manager.health.state(rec.id)), NetworkSettings: manager.networking.settings(rec) }
    return bool(req.query.size) ? { ...doc, ...await manager.settings.sizes(rec) } : doc
  })

  app.post('/containers/:id/start', {
    schema: {
      tags, operationId: 'ContainerStart', summary: 'Start a container',
      description: 'Starts a created container; an exited one runs again with a new monitor, as Docker does. Its RestartCount starts over. 304 if it is running or restarting.',
      params: S.IdParams, querystring: Type.Object({ detachKeys: Type.Optional(Type.String()) }),
      response: { 204: S.NoContent, ...S.errors(304, 400, 404, 500) }
    }
  }, async (req, reply) => {
    await manager.start(req.params.id)
    return reply.code(204).send(null)
  })

  app.post('/containers/:id/kill', {
    schema: {
      tags, operationId: 'ContainerKill', summary: 'Send a signal to a container',
      description: 'SIGKILL (the default) is answered once the container has stopped and its exit is on record, as Docker does; any other signal at once. ' +
        'A container killed through the API is not restarted by its restart policy.',
      params: S.IdParams, querystring: S.KillQuery,
      response: { 204: S.NoContent, ...S.errors(400, 404, 409, 500) }
    }
  }, async (req, reply) => {
    const rec = manager.resolve(req.params.id)
    await manager.kill(rec.id, parseSignal(req.query.signal ?? 'SIGKILL'))
    return reply.code(204).send(null)
  })

  app.post('/containers/:id/stop', {
    schema: {
      tags, operationId: 'ContainerStop', summary: 'Stop a container',
      description: 'Sends the signal (default: the container\'s StopSignal, else SIGTERM), then SIGKILL after t seconds (default: its StopTimeout, else 10). ' +
        'A container stopped or killed through the API is not restarted by its restart policy; a restarting one just stays exited.',
      params: S.IdParams, querystring: S.StopQuery,
      response: { 204: S.NoContent, ...S.errors(304, 400, 404, 500) }
    }
  }, async (req, reply) => {
    const signal = req.query.signal !== undefined ? parseSignal(req.query.signal) : undefined
    await manager.stop(req.params.id, req.query.t, signal)
    return reply.code(204).send(null)
  })

  app.post('/containers/:id/restart', {
    schema: {
      tags, operationId: 'ContainerRestart', summary: 'Restart a container',
      description: 'Stops the container if it is running (as stop does), then starts it.',
      params: S.IdParams, querystring: S.StopQuery,
      response: { 204: S.NoContent, ...S.errors(400, 404, 500) }
    }
  }, async (req, reply) => {
    const signal = req.query.signal !== undefined ? parseSignal(req.query.signal) : undefined
    await manager.restart(req.params.id, req.query.t, signal)
    return reply.code(204).send(null)
  })

  app.post('/containers/:id/pause', {
    schema: {
      tags, operationId: 'ContainerPause', summary: 'Pause a container',
      description: 'Freezes every process of the container with the runtime\'s cgroup freezer.',
      params: S.IdParams,
      response: { 204: S.NoContent, ...S.errors(404, 409) }
    }
  }, async (req, reply) => {
    await manager.pause(req.params.id)
    return reply.code(204).send(null)
  })

  app.post('/containers/:id/unpause', {
    schema: {
      tags, operationId: 'ContainerUnpause', summary: 'Unpause a container',
      params: S.IdParams,
      response: { 204: S.NoContent, ...S.errors(404, 409) }
    }
  }, async (req, reply) => {
    await manager.unpause(req.params.id)
    return reply.code(204).send(null)
  })

  app.post('/containers/:id/wait', {
    schema: {
      tags, operationId: 'ContainerWait', summary: 'Wait for a container',
      description: 'Status 200 and headers are sent at once; the body follows when the condition is met. not-running answers at once for a created or exited container (a restarting one is still running); next-exit waits for the next exit; removed waits until the container is deleted.',
      params: S.IdParams, querystring: S.WaitQuery,
      response: { 200: S.WaitResponse, ...S.errors(400, 404) }
    }
  }, async (req, reply) => {
    // Register before sending anything, so an exit right after cannot be missed.
    const w = manager.wait(req.params.id, req.query.condition === undefined || req.query.condition === '' ? 'not-running' : req.query.condition)
    const res = headNow(reply, 'application/json')
    res.on('close', w.cancel)
    const code = await w.promise
    res.end(JSON.stringify({ StatusCode: code, Error: null }))
  })

  app.delete('/containers/:id', {
    schema: {
      tags, operationId: 'ContainerDelete', summary: 'Remove a container',
      description: 'Removes the container, its monitor, its state and its log; with v=1 its anonymous volumes too (named ones stay). 409 if it is running or restarting, unless force=1 (SIGKILL first, or the pending restart cancelled).',
      params: S.IdParams, querystring: S.DeleteQuery,
      response: { 204: S.NoContent, ...S.errors(400, 404, 409, 500) }
    }
  }, async (req, reply) => {
    await manager.remove(req.params.id, bool(req.query.force), bool(req.query.v))
    return reply.code(204).send(null)
  })

  app.get('/containers/:id/logs', {
    schema: {
      tags, operationId: 'ContainerLogs', summary: 'Get a container\'s logs',
      description: 'With follow=1 and a running container, status 200 and headers are sent at once; lines follow as they are written, until the container stops.',
      params: S.IdParams, querystring: S.LogsQuery,
      response: {
        200: { ...S.LogsResponse, content: { 'application/vnd.docker.multiplexed-stream': { schema: S.LogsResponse }, 'application/vnd.docker.raw-stream': { schema: S.LogsResponse } } },
        ...S.errors(400, 404, 501)
      }
    }
  }, async (req, reply) => {
    const q = req.query
    const rec = manager.resolve(req.params.id)
    const stdout = bool(q.stdout); const stderr = bool(q.stderr)
    if (!stdout && !stderr) throw invalid('Bad parameters: you must choose at least one stream')
    if (!manager.logReadable(rec)) throw notImplemented('configured logging driver does not support reading')
    let tail: number | undefined
    if (q.tail !== undefined && q.tail !== 'all' && q.tail !== '') {
      tail = Number(q.tail)
      if (!Number.isInteger(tail)) throw invalid(`invalid value for tail: ${q.tail}`)
      if (tail < 0) tail = undefined
    }
    const since = parseTimeParam(q.since); const until = parseTimeParam(q.until)
    if ((q.since !== undefined && q.since !== '' && q.since !== '0' && since === undefined) || (q.until !== undefined && q.until !== '' && q.until !== '0' && until === undefined)) {
      throw invalid('invalid value for since or until: use unix seconds or RFC 3339')
    }
    const waiter = bool(q.follow) && isRunning(rec.status) ? manager.wait(rec.id, 'next-exit') : undefined
    const stream = logStream(manager.logPath(rec.id), { stdout, stderr, timestamps: bool(q.timestamps), tail, since, until, tty: rec.tty }, waiter && { done: waiter.promise })
    const type = rec.tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream'
    if (waiter === undefined) return reply.header('Content-Type', type).send(stream)
    stream.on('close', waiter.cancel)
    // Followed: the next line may be long in coming, and clients give up on headers that do not come.
    pipeline(stream, headNow(reply, type)).catch(() => {})
  })
}

/** Takes the response over and sends its status (200) and headers now, ahead of a body that may be long in coming. */
function headNow (reply: FastifyReply, contentType: string): ServerResponse {
  const headers = { ...reply.getHeaders(), 'content-type': contentType } as Record<string, string>
  const res = reply.hijack().raw
  res.writeHead(200, headers)
  res.flushHeaders()
  return res
}
