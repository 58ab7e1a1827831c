/**
 * The websocket side of Docker's websocket attach (GET
 * /containers/{id}/attach/ws). RFC 6455 itself (the handshake, masking,
 * fragmented messages, ping/pong, the closing handshake, size limits) is the
 * `ws` package's; this module turns an accepted connection into the kind of
 * stream that serveAttach already serves on a hijacked socket: every message
 * the client sends is stdin, in order; every chunk of output goes out as one
 * message; the client's close ends stdin and then the stream.
 */
import type { IncomingMessage } from 'node:http'
import { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { rawError } from './streams.js'

/** The largest message a client may send (stdin); a bigger one closes the connection with 1009. */
const MAX_MESSAGE = 16 * 1024 * 1024

const server = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false, maxPayload: MAX_MESSAGE })
// A handshake `ws` refuses after handshakeProblem's checks (a malformed Sec-WebSocket-Protocol or
// -Extensions) is answered as every berthd error is, not with ws's text page.
server.on('wsClientError', (err: Error, socket: Duplex) => rawError(socket, 400, `invalid websocket handshake: ${err.message}`))

/**
 * Why an upgrade request is not a websocket handshake (RFC 6455 4.2.1, the
 * checks `ws` makes), or undefined; checked before the attach is registered,
 * so a refusal is a plain JSON 400.
 */
export function handshakeProblem (req: IncomingMessage): string | undefined {
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') return 'websocket attach needs a websocket handshake (Connection: Upgrade, Upgrade: websocket)'
  if (!/^[+/0-9A-Za-z]{22}==$/.test(req.headers['sec-websocket-key'] ?? '')) return 'invalid websocket handshake: missing or invalid Sec-WebSocket-Key header'
  const version = req.headers['sec-websocket-version']
  if (version !== '13' && version !== '8') return 'invalid websocket handshake: Sec-WebSocket-Version must be 13'
  return undefined
}

/**
 * Completes the websocket handshake of an upgrade request. Resolves with the
 * connection, or undefined when the handshake was refused (`ws` has then
 * answered 400 and closed the socket).
 */
export function acceptWebsocket (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<WebSocket | undefined> {
  return new Promise(resolve => {
    const refused = (): void => resolve(undefined)
    socket.once('close', refused)
    server.handleUpgrade(req, socket, head, ws => { socket.off('close', refused); resolve(ws) })
  })
}

/**
 * The connection as a byte stream: reads are the client's messages, writes
 * are sent as binary messages (text ones when `binary` is false, as Docker
 * sends before API 1.28), with the send's completion as backpressure. end()
 * closes with 1000; destroy() drops the connection.
 */
export function websocketStream (ws: WebSocket, binary: boolean): Duplex {
  const stream = new Duplex({
    read () { if (ws.isPaused) ws.resume() },
    write (chunk: Buffer, _enc, done) { ws.send(chunk, { binary }, done) },
    final (done) { ws.close(1000); done() },
    destroy (err, done) { if (ws.readyState !== ws.CLOSED) ws.terminate(); done(err) }
  })
  ws.on('message', (data: Buffer) => { if (!stream.push(data)) ws.pause() })
  // The client's close ends its stdin once what it sent before has been read, then the stream: a
  // websocket has no half-close.
  ws.on('close', () => {
    stream.push(null)
    if (stream.readableEnded) stream.destroy(); else stream.once('end', () => stream.destroy())
  })
  ws.on('error', err => stream.destroy(err))
  return stream
}
