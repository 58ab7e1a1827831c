/**
 * The sockets berthd serves on, one server per -H. Each hands its requests
 * and upgrades to the app's own http.Server, so every listener has the same
 * routes, hooks and hijacked streams (attach, exec, websockets), while each
 * keeps its own connection tracking and timeouts, as fastify's own secondary
 * servers do. Who may connect is decided here: a Unix socket's owner, group
 * and mode, or a TLS client certificate signed by the configured CA.
 */
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { connect } from 'node:net'
import { createSecureContext, type TLSSocket } from 'node:tls'
import { chmod, chown, lstat, mkdir, readFile, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { execa } from 'execa'
import type { Logger } from 'pino'
import { ConfigError, type Config, type Listener } from './config.js'

/** Owner and group may connect, nobody else (Docker's socket mode). */
const SOCKET_MODE = 0o660
/** The app server's events that fastify and berth listen to; every listener forwards them. */
const FORWARDED = ['request', 'upgrade', 'clientError'] as const
/** What fastify set on its server (requestTimeout 0 above all: an image upload may take long). */
const SETTINGS = ['timeout', 'keepAliveTimeout', 'requestTimeout', 'headersTimeout', 'maxRequestsPerSocket'] as const

/** A listener as -H spells it, for logs and messages. */
export const hostUrl = (l: Listener): string =>
  l.kind === 'unix' ? `unix://${l.path}` : `tcp://${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`

/**
 * The gid of a group name (or number), as `getent` finds it (NSS: LDAP groups
 * too). A number that names no group is taken as is, as dockerd does.
 */
export async function resolveGroup (name: string): Promise<number> {
  const r = await execa('getent', ['group', name], { reject: false, timeout: 10_000 })
  const gid = r.exitCode === 0 ? Number(r.stdout.split(':')[2]) : /^\d+$/.test(name) ? Number(name) : NaN
  if (!Number.isInteger(gid)) throw new ConfigError(`--group: group "${name}" not found; create it (groupadd ${name}) or name an existing one`)
  return gid
}

/** True when something answers on the Unix socket at `path`. */
function socketAnswers (path: string): Promise<boolean> {
  return new Promise(resolve => {
    const s = connect(path)
    const done = (v: boolean): void => { s.destroy(); resolve(v) }
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
    setTimeout(() => done(false), 1000).unref()
  })
}

/** Replaces a stale socket file; refuses when a live daemon answers on it. */
async function claimSocket (path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 })
  const st = await lstat(path).catch(() => undefined)
  if (st === undefined) return
  if (!st.isSocket()) throw new ConfigError(`${path} exists and is not a socket; refusing to replace it`)
  if (await socketAnswers(path)) throw new ConfigError(`another berthd is already serving on ${path}; stop it first or pass --socket`)
  await rm(path, { force: true })
}

async function readTlsFile (flag: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (err) {
    throw new ConfigError(`cannot read ${flag} ${path}: ${(err as Error).message}`)
  }
}

/** The servers, listening; closed together at shutdown. */
export interface Serving {
  /** Stops accepting, closes idle connections; resolves when every connection is gone. */
  close: () => Promise<void>
  /** Drops every connection, busy or not. */
  closeAllConnections: () => void
}

/**
 * Checks everything that can be checked before binding, so that a bad
 * --group, certificate or socket path stops berthd before containers are
 * re-loaded; returns the function that binds.
 */
export async function prepareListeners (config: Readonly<Config>, log: Logger): Promise<(app: Server) => Promise<Serving>> {
  const gid = config.group === undefined ? undefined : await resolveGroup(config.group)
  let tlsOptions: { ca: Buffer, cert: Buffer, key: Buffer } | undefined
  if (config.tls !== undefined && config.listeners.some(l => l.kind === 'tcp')) {
    tlsOptions = {
      ca: await readTlsFile('--tlscacert', config.tls.ca),
      cert: await readTlsFile('--tlscert', config.tls.cert),
      key: await readTlsFile('--tlskey', config.tls.key)
    }
    try { createSecureContext(tlsOptions) } catch (err) { throw new ConfigError(`--tlscacert/--tlscert/--tlskey: ${(err as Error).message}`) }
  }
  for (const l of config.listeners) if (l.kind === 'unix') await claimSocket(l.path)

  return async app => {
    const servers: Server[] = []
    const unixPaths: string[] = []
    try {
      for (const l of config.listeners) {
        const server = l.kind === 'tcp' && l.tls
          // Client certificates are required and checked in the handshake: a client without one never reaches HTTP.
          // Half-open as http.Server's sockets are: a client that closes its side of an attach (Go's CloseWrite
          // sends close_notify) still gets the output that follows.
          ? createHttpsServer({ ...tlsOptions, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2', allowHalfOpen: true })
          : createHttpServer()
        for (const k of SETTINGS) (server as unknown as Record<string, unknown>)[k] = app[k]
        for (const event of FORWARDED) server.on(event, (...args: unknown[]) => app.emit(event, ...args))
        // A certificate that fails verification is dropped without an alert (Node destroys the socket): its
        // reason is the socket's authorizationError, not the 'socket hang up' that results.
        server.on('tlsClientError', (err: Error & { reason?: string }, socket: TLSSocket) =>
          log.info({ host: hostUrl(l), remote: socket.remoteAddress, reason: socket.authorizationError ?? err.reason ?? err.message }, 'TLS handshake refused'))
        servers.push(server)
        await bind(server, l)
        if (l.kind === 'unix') {
          unixPaths.push(l.path)
          if (gid !== undefined) await chown(l.path, -1, gid)
          await chmod(l.path, SOCKET_MODE)
        }
        if (l.kind === 'tcp' && !l.tls) {
          log.warn({ host: hostUrl(l) }, 'SERVING THE API ON PLAIN TCP WITHOUT TLS (--insecure-tcp): anyone who can connect to this port has root on this host')
        }
        log.info({ host: hostUrl(l), ...(l.kind === 'unix' ? { group: config.group ?? null, mode: '0660' } : { tls: l.tls }) }, 'listening')
      }
    } catch (err) {
      for (const s of servers) s.close()
      await Promise.all(unixPaths.map(p => rm(p, { force: true })))
      throw err
    }
    return {
      close: async () => {
        await Promise.all(servers.map(s => new Promise(resolve => s.close(resolve))))
        await Promise.all(unixPaths.map(p => rm(p, { force: true })))
      },
      closeAllConnections: () => { for (const s of servers) s.closeAllConnections() }
    }
  }
}

function bind (server: Server, l: Listener): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (err: Error): void => reject(new ConfigError(`cannot listen on ${hostUrl(l)}: ${err.message}`))
    server.once('error', failed)
    server.listen(l.kind === 'unix' ? { path: l.path } : { host: l.host, port: l.port }, () => {
      server.off('error', failed)
      resolve()
    })
  })
}
