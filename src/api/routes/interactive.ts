/**
 * Interactive routes: attach, resize and exec. Attach and exec start take
 * the connection over; when the client asks for an upgrade, Node hands the
 * request to the server's 'upgrade' listener instead of Fastify, so the same
 * two handlers are reached from there too (handleUpgrade), with the same
 * checks and the same error bodies.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import type { FastifyBaseLogger as Logger } from 'fastify'
import type { ContainerManager } from '../../containers/manager.js'
import type { ExecRecord } from '../../containers/exec.js'
import { invalid } from '../../errors.js'
import { bool, splitVersion, versionBefore, versionError } from '../docker.js'
import { toHttp } from '../errors.js'
import { canonicalKeys } from '../keycase.js'
import { parseDetachKeys, rawError, serveAttach, serveExec, startStream, type AttachOptions, type AttachSession, type AttachTarget } from '../streams.js'
import { acceptWebsocket, handshakeProblem, websocketStream } from '../websocket.js'
import { logEnd } from '../../logs/logs.js'
import * as S from '../schemas.js'

const tags = ['Interactive']

type AttachQuery = Static<typeof S.AttachQuery>
type ExecStart = Exclude<Static<typeof S.ExecStartBody>, null>

/** Checks an attach request and registers the attach (see Interactive.attach). Throws before anything is registered. */
function openAttach (manager: ContainerManager, ref: string, q: AttachQuery, takesStdin: boolean): { target: AttachTarget, o: AttachOptions, session: AttachSession } {
  const o = {
    stream: bool(q.stream), logs: bool(q.logs), stdin: takesStdin && bool(q.stdin),
    stdout: bool(q.stdout), stderr: bool(q.stderr), detachKeys: parseDetachKeys(q.detachKeys ?? '')
  }
  if (!o.stream && !o.logs) throw invalid('Bad parameters: you must choose at least one stream')
  const { rec, ...session } = manager.interactive.attach(ref, o.stdin)
  const logPath = manager.logPath(rec.id)
  const target = { id: rec.id, tty: rec.tty, openStdin: rec.openStdin, stdinOnce: rec.stdinOnce ?? false, logPath, logFrom: logEnd(logPath) }
  return { target, o, session }
}

/** Checks an attach request, then takes the socket over and serves it. Throws only before the takeover. */
function attachTo (manager: ContainerManager, ref: string, q: AttachQuery, socket: Duplex, upgrade: boolean, log: Logger): void {
  const { target, o, session } = openAttach(manager, ref, q, upgrade)
  startStream(socket, upgrade, target.tty)
  serveAttach(socket, target, o, session, log)
    .catch(err => { log.error({ err }, 'attach failed'); socket.destroy() })
}

/**
 * Docker's websocket attach: checked as any attach (errors are plain HTTP
 * answers), then the websocket handshake, then the container's output as
 * binary messages (text before API 1.28), never multiplexed, and the
 * client's messages as stdin. Before API 1.42 Docker ignores the stdin,
 * stdout and stderr parameters and attaches all three; so does berthd.
 */
async function attachWebsocket (manager: ContainerManager, ref: string, q: AttachQuery, version: string | undefined,
  req: IncomingMessage, socket: Duplex, head: Buffer, log: Logger): Promise<void> {
  const problem = handshakeProblem(req)
  if (problem !== undefined) throw invalid(problem)
  const all = version !== undefined && versionBefore(version, '1.42')
  const { target, o, session } = openAttach(manager, ref, all ? { ...q, stdin: '1', stdout: '1', stderr: '1' } : q, true)
  const ws = await acceptWebsocket(req, socket, head)
  if (ws === undefined) { session.cancel(); return }
  const stream = websocketStream(ws, version === undefined || !versionBefore(version, '1.28'))
  serveAttach(stream, target, { ...o, raw: true }, session, log)
    .catch(err => { log.error({ err }, 'websocket attach failed'); stream.destroy() })
}

/**
 * Starts an exec; attached, takes the socket over. As Docker, the response
 * head goes out before the process starts (a failure to start is then told
 * on the stream). Throws only before the takeover.
 */
async function startExec (manager: ContainerManager, execId: string, body: ExecStart | null | undefined, socket: Duplex | undefined, upgrade: boolean, log: Logger): Promise<boolean> {
  const detach = body?.Detach === true || socket === undefined
  const exec = manager.interactive.inspectExec(execId)
  if (exec.config.consoleSize === undefined && Array.isArray(body?.ConsoleSize)) exec.config.consoleSize = body.ConsoleSize as [number, number]
  const keys = parseDetachKeys(exec.config.detachKeys)
  // As moby's exec start: the stream is framed unless the start request says Tty, whatever the exec was
  // created with (dockerode's exec.start({hijack, stdin}) on a TTY exec gets frames, which it demuxes).
  const raw = body?.Tty === true
  let taken = false
  const opened = detach ? undefined : () => { taken = true; startStream(socket!, upgrade, raw) }
  let session
  try {
    session = (await manager.interactive.startExec(execId, { detach, raw, ...(opened !== undefined ? { opened } : {}) })).session
  } catch (err) {
    if (!taken) throw err
    log.error({ err }, 'exec start failed after its head was sent')
    socket!.destroy()
    return true
  }
  if (session === undefined || socket === undefined) return false
  if (!upgrade) session.stdin = undefined
  serveExec(socket, session, keys).catch(err => { log.error({ err }, 'exec stream failed'); socket.destroy() })
  return true
}

/** Docker's exec inspect document. */
function execView (e: ExecRecord) {
  const c = e.config
  return {
    ID: e.id,
    Running: e.running,
    ExitCode: e.exitCode,
    ProcessConfig: { entrypoint: c.cmd[0] ?? '', arguments: c.cmd.slice(1), tty: c.tty, privileged: c.privileged, user: c.user },
    OpenStdin: c.attachStdin,
    OpenStdout: c.attachStdout,
    OpenStderr: c.attachStderr,
    CanRemove: !e.running && e.started,
    ContainerID: e.containerId,
    DetachKeys: c.detachKeys,
    Pid: e.running ? e.pid : 0
  }
}

export const interactiveRoutes: FastifyPluginAsyncTypebox<{ manager: ContainerManager }> = async (app, { manager }) => {
  app.post('/containers/:id/attach', {
    schema: {
      tags, operationId: 'ContainerAttach', summary: 'Attach to a container',
      description: 'Streams the container\'s output (and, upgraded, takes its stdin). A created container\'s stream starts with its run; ' +
        'a stopped container\'s with its next start (Docker\'s `start -a`). logs=1 replays the log first. 409 if it is paused.',
      params: S.IdParams, querystring: S.AttachQuery,
      response: {
        101: { ...S.StreamResponse, description: 'Upgraded: a raw stream both ways' },
        200: { ...S.StreamResponse, content: { 'application/vnd.docker.multiplexed-stream': { schema: S.StreamResponse }, 'application/vnd.docker.raw-stream': { schema: S.StreamResponse } } },
        ...S.errors(400, 404, 409)
      }
    }
  }, async (req, reply) => {
    attachTo(manager, req.params.id, req.query, req.raw.socket, false, req.log)
    reply.hijack()
  })

  app.get('/containers/:id/attach/ws', {
    schema: {
      tags, operationId: 'ContainerAttachWebsocket', summary: 'Attach to a container via a websocket',
      description: 'Docker\'s websocket attach, with the websocket handshake (`Connection: Upgrade`, `Upgrade: websocket`): ' +
        'the query as ContainerAttach\'s (before API 1.42 stdin, stdout and stderr are all attached whatever it says, as in Docker). ' +
        'Errors (404, 409, 400) are plain HTTP answers before the handshake; a request without the handshake gets 400.',
      params: S.IdParams, querystring: S.AttachQuery,
      response: { 101: S.WebsocketResponse, ...S.errors(400, 404, 409) }
    }
  }, async (req) => {
    // With the handshake's headers Node hands the request to handleUpgrade; here it has none.
    manager.resolve(req.params.id)
    throw invalid(handshakeProblem(req.raw) ?? 'websocket attach needs a websocket handshake')
  })

  app.post('/containers/:id/resize', {
    schema: {
      tags, operationId: 'ContainerResize', summary: 'Resize a container\'s terminal',
      params: S.IdParams, querystring: S.ResizeQuery,
      response: { 200: Type.Null({ description: 'Resized' }), ...S.errors(400, 404, 409) }
    }
  }, async (req, reply) => {
    await manager.interactive.resize(req.params.id, req.query.h, req.query.w)
    return reply.code(200).send(undefined as unknown as null)
  })

  app.post('/containers/:id/exec', {
    schema: {
      tags, operationId: 'ContainerExec', summary: 'Create an exec instance',
      description: 'Records a command to run in the running container; POST /exec/{id}/start runs it. 409 unless the container is running.',
      params: S.IdParams, body: S.ExecCreateBody,
      response: { 201: S.ExecCreateResponse, ...S.errors(400, 404, 409) }
    }
  }, async (req, reply) => {
    const b = req.body ?? {}
    parseDetachKeys(b.DetachKeys ?? '') // refused here, as Docker refuses them, not at start
    const id = await manager.interactive.createExec(req.params.id, {
      cmd: typeof b.Cmd === 'string' ? [b.Cmd] : (b.Cmd ?? []),
      env: (b.Env ?? []).filter(e => e !== ''),
      workingDir: b.WorkingDir ?? '',
      user: b.User ?? '',
      tty: b.Tty === true,
      attachStdin: b.AttachStdin === true,
      attachStdout: b.AttachStdout === true,
      attachStderr: b.AttachStderr === true,
      privileged: b.Privileged === true,
      detachKeys: b.DetachKeys ?? '',
      ...(Array.isArray(b.ConsoleSize) ? { consoleSize: b.ConsoleSize as [number, number] } : {})
    })
    return reply.code(201).send({ Id: id })
  })

  app.post('/exec/:id/start', {
    schema: {
      tags, operationId: 'ExecStart', summary: 'Start an exec instance',
      description: 'Runs the exec under its own monitor. Detach: 200 with no body once it runs. Otherwise the connection becomes its stream ' +
        '(see ContainerAttach), which ends after the exit code is recorded. As in Docker, the response head is sent before the process starts, ' +
        'and output follows once the client has read the head. A command the runtime cannot run gives its message on the stream ' +
        'and exit code 126, as Docker does.',
      params: S.IdParams, body: S.ExecStartBody,
      response: {
        101: { ...S.StreamResponse, description: 'Upgraded: a raw stream both ways' },
        200: { ...S.StreamResponse, content: { 'application/vnd.docker.multiplexed-stream': { schema: S.StreamResponse }, 'application/vnd.docker.raw-stream': { schema: S.StreamResponse } } },
        ...S.errors(400, 404, 409, 500)
      }
    }
  }, async (req, reply) => {
    const detach = req.body?.Detach === true
    if (await startExec(manager, req.params.id, req.body, detach ? undefined : req.raw.socket, false, req.log)) reply.hijack()
    // Docker answers a detached start 200 with no body: here, an empty raw stream.
    else return reply.code(200).header('Content-Type', 'application/vnd.docker.raw-stream').send(undefined as unknown as NodeJS.ReadableStream)
  })

  app.get('/exec/:id/json', {
    schema: {
      tags, operationId: 'ExecInspect', summary: 'Inspect an exec instance',
      params: S.IdParams, response: { 200: S.ExecInspect, ...S.errors(404) }
    }
  }, async (req) => execView(manager.interactive.inspectExec(req.params.id)))

  app.post('/exec/:id/resize', {
    schema: {
      tags, operationId: 'ExecResize', summary: 'Resize an exec\'s terminal',
      params: S.IdParams, querystring: S.ResizeQuery,
      response: { 200: Type.Null({ description: 'Resized' }), ...S.errors(400, 404, 409) }
    }
  }, async (req, reply) => {
    await manager.interactive.resizeExec(req.params.id, req.query.h, req.query.w)
    return reply.code(200).send(undefined as unknown as null)
  })
}

/** Reads the request body that follows an upgrade's headers; what comes after it is stdin. */
async function readUpgradeBody (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<Buffer> {
  const length = Number(req.headers['content-length'] ?? 0)
  if (!Number.isInteger(length) || length < 0 || length > 1024 * 1024) throw invalid('invalid Content-Length')
  let buf = head
  while (buf.length < length) {
    const chunk = await new Promise<Buffer | undefined>(resolve => {
      const done = (c?: Buffer): void => { socket.off('data', done); socket.off('end', end); socket.pause(); resolve(c) }
      const end = (): void => done(undefined)
      socket.on('data', done); socket.on('end', end); socket.resume()
    })
    if (chunk === undefined) break
    buf = Buffer.concat([buf, chunk])
  }
  if (buf.length > length) socket.unshift(buf.subarray(length))
  return buf.subarray(0, length)
}

/**
 * The server's 'upgrade' listener. Node gives it every request that carries
 * `Connection: Upgrade`; it serves attach and exec start and answers
 * anything else 404, with the bodies Fastify would send.
 */
export function handleUpgrade (manager: ContainerManager, log: Logger) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => {})
    void (async () => {
      const { version, url } = splitVersion(req.url ?? '/')
      const vErr = version === undefined ? undefined : versionError(version)
      if (vErr !== undefined) throw invalid(vErr)
      const u = new URL(url, 'http://localhost')
      const q = Object.fromEntries(u.searchParams) as Record<string, string>
      const wsM = /^\/containers\/([^/]+)\/attach\/ws$/.exec(u.pathname)
      if (req.method === 'GET' && wsM !== null) {
        await attachWebsocket(manager, decodeURIComponent(wsM[1]!), q, version, req, socket, head, log)
        return
      }
      const attachM = /^\/containers\/([^/]+)\/attach$/.exec(u.pathname)
      const execM = /^\/exec\/([^/]+)\/start$/.exec(u.pathname)
      if (req.method !== 'POST' || (attachM === null && execM === null)) {
        rawError(socket, 404, 'page not found')
        return
      }
      const body = await readUpgradeBody(req, socket, head)
      if (attachM !== null) {
        attachTo(manager, decodeURIComponent(attachM[1]!), q, socket, true, log)
        return
      }
      let parsed: ExecStart | null = null
      const text = body.toString('utf8').trim()
      if (text !== '') {
        try { parsed = JSON.parse(text) as ExecStart } catch { throw invalid('exec start body is not JSON') }
      }
      if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) throw invalid('exec start body must be an object')
      canonicalKeys(parsed, S.ExecStartBody)
      if (!await startExec(manager, decodeURIComponent(execM![1]!), parsed, parsed?.Detach === true ? undefined : socket, true, log)) {
        // Detached through an upgrade request: Docker answers a plain 200.
        socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
      }
    })().catch(err => {
      const { status, message } = toHttp(err)
      if (status >= 500) log.error({ err, url: req.url }, 'upgrade request failed')
      if (!socket.destroyed) rawError(socket, status, message)
    })
  }
}
