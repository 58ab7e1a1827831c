/**
 * Mutual TLS through certs.d, as Docker's /etc/docker/certs.d: a registry
 * (Debian's docker-registry on ::1, http.tls.clientcas) that asks for a
 * client certificate signed by a CA the test makes with openssl is refused
 * without one, and pulled from and pushed to with `client.cert` +
 * `client.key` in `<root>/certs.d/HOST:PORT/`; a certificate without its
 * key is an error that says so.
 */
import t from 'tap'
import { copyFile, mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { makeTar, rootfsTar, saveArchive, startDaemon } from './helpers.js'
import { noRegistry, pull, pushArchive, startRegistry, statuses, stream } from './registry-helpers.js'

t.test('a registry that asks for a client certificate: refused without one, pulled from and pushed to with certs.d\'s client.cert and client.key', { skip: noRegistry }, async t => {
  const reg = await startRegistry(t, { tls: true, clientCerts: true })
  const id = await pushArchive(t, reg, [await rootfsTar()], 'bb:v1')
  const d = await startDaemon(t)
  const certs = join(d.root, 'certs.d', reg.host)
  await mkdir(certs, { recursive: true })
  await copyFile(reg.certs!.caFile, join(certs, 'ca.crt'))

  const refused = await pull(d, `fromImage=${reg.host}/bb&tag=v1`)
  t.equal(refused.status, 500)
  // TLS 1.3: the refusal comes after the handshake, and Node reports the connection closed.
  t.equal(refused.message, `Get "https://${reg.host}/v2/": other side closed before answering (a registry that asks for a client certificate gets one from client.cert and client.key in certs.d/${reg.host})`)

  await copyFile(reg.certs!.client!.certFile, join(certs, 'client.cert'))
  await copyFile(reg.certs!.client!.keyFile, join(certs, 'client.key'))
  const pulled = await pull(d, `fromImage=${reg.host}/bb&tag=v1`)
  t.equal(pulled.msgs.at(-1)?.status, `Status: Downloaded newer image for ${reg.host}/bb:v1`, JSON.stringify(pulled))
  t.equal((await d.req('GET', `/images/${reg.host}/bb:v1/json`)).body.Id, id)
  const { archive } = await saveArchive([await makeTar([{ name: 'mine', body: 'a layer the registry has not seen' }])], `${reg.host}/mine:v1`)
  t.equal((await d.req('POST', '/images/load', archive, { 'content-type': 'application/x-tar' })).status, 200)
  const pushed = statuses((await stream(d, `/images/${reg.host}/mine/push?tag=v1`)).msgs)
  t.ok(pushed.includes('Pushed'), 'a layer is uploaded over mutual TLS')
  t.match(pushed.at(-2), /^v1: digest: sha256:[0-9a-f]{64} size: \d+$/, JSON.stringify(pushed))

  await rm(join(certs, 'client.key'))
  const keyless = await pull(d, `fromImage=${reg.host}/bb&tag=v1`)
  t.same([keyless.status, keyless.message], [500, 'missing key client.key for client certificate client.cert. CA certificates must use a .crt extension'])
})
