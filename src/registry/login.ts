/**
 * `docker login` (POST /auth): the credentials are tried on the registry's
 * `/v2/`, through the challenge it answers with (Basic, or a token from its
 * realm asked for with the credentials, as moby's loginV2 does). Nothing is
 * kept: the client stores the credentials and sends them with each pull and
 * push. The registry is reached as a push reaches it (hosts.ts, no mirror).
 */
import { registryFailed, unauthorized } from '../errors.js'
import { loginDomain, type AuthConfig } from './auth.js'
import { firstEndpoint, Registry } from './client.js'
import { upstreamEndpoints, type Endpoint, type RegistryHosts } from './hosts.js'

const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }

/** Checks `creds` (none: anonymous) against the registry `serveraddress` names; returns the identity token a token server gave ('' when none). */
export async function login (creds: AuthConfig | undefined, serveraddress: string | undefined, hosts: RegistryHosts): Promise<{ IdentityToken: string }> {
  const domain = loginDomain(serveraddress)
  const open = (e: Endpoint): Registry => new Registry(e, '', domain, { ...creds !== undefined ? { auth: creds } : {}, offline: true, refusal: unauthorized })
  const { reg, r } = await firstEndpoint(upstreamEndpoints(domain, hosts), open, async reg => ({ reg, r: await reg.call('GET', '/v2/') }))
  try {
    await r.body.dump()
    if (r.statusCode === 200) return { IdentityToken: reg.auth.identityToken }
    const message = `login attempt to ${reg.base}/v2/ failed with status: ${r.statusCode} ${STATUS_TEXT[r.statusCode] ?? ''}`.trim()
    throw r.statusCode === 401 || r.statusCode === 403 ? unauthorized(message) : registryFailed(message)
  } finally {
    await reg.close()
  }
}
