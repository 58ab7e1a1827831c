/** Docker's network routes: thin handlers over the manager's network store (src/networks/). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { ContainerManager } from '../../containers/manager.js'
import { parseFilters } from '../../containers/filters.js'
import { invalid } from '../../errors.js'
import { NETWORK_FILTERS, networkDoc, networkMatches } from '../../networks/view.js'
import type { NetworkShown } from '../../networks/service.js'
import * as S from '../schemas.js'

const tags = ['Network']
const Network = Type.Object({
  Name: Type.String(), Id: Type.String(), Created: Type.String(), Scope: Type.String(), Driver: Type.String({ description: 'bridge; host and null for the predefined host and none' }),
  EnableIPv6: Type.Boolean(), IPAM: Type.Unknown(), Internal: Type.Boolean(), Attachable: Type.Boolean(), Ingress: Type.Boolean(),
  Containers: Type.Record(Type.String(), Type.Unknown(), { description: 'Containers with a run on the network: Name, EndpointID, MacAddress, IPv4Address' }),
  Options: Type.Record(Type.String(), Type.String()), Labels: Type.Record(Type.String(), Type.String())
}, { description: 'Docker\'s network document' })
const Str = Type.Optional(Type.String())
const NullableStr = Type.Optional(Type.Union([Type.Null(), Type.String()]))
const CreateBody = Type.Object({
  Name: Type.String(),
  Driver: Str,
  Internal: Type.Optional(Type.Boolean({ description: 'No route out of the network (no masquerade)' })),
  Attachable: Type.Optional(Type.Boolean()),
  Ingress: Type.Optional(Type.Boolean()),
  CheckDuplicate: Type.Optional(Type.Boolean({ description: 'Ignored: names are always unique, as since Docker 1.44' })),
  EnableIPv6: Type.Optional(Type.Boolean({ description: 'Only false: berth networks are IPv4 only' })),
  Labels: Type.Optional(Type.Union([Type.Null(), Type.Record(Type.String(), Type.String())])),
  Options: Type.Optional(Type.Union([Type.Null(), Type.Record(Type.String(), Type.String())])),
  IPAM: Type.Optional(Type.Union([Type.Null(), Type.Object({
    Driver: Str,
    // docker-py sends every key of a pool, null when unset.
    Config: Type.Optional(Type.Union([Type.Null(), Type.Array(Type.Object({ Subnet: NullableStr, Gateway: NullableStr, IPRange: NullableStr }))])),
    Options: Type.Optional(Type.Union([Type.Null(), Type.Record(Type.String(), Type.String())]))
  })]))
})
const ConnectBody = Type.Object({
  Container: Type.String({ description: 'The container\'s id, name or id prefix' }),
  EndpointConfig: Type.Optional(Type.Union([Type.Null(), Type.Object({
    Aliases: Type.Optional(Type.Union([Type.Null(), Type.Array(Type.String())])),
    IPAMConfig: Type.Optional(Type.Union([Type.Null(), Type.Object({ IPv4Address: Str }, { description: 'IPv4Address: the address to lease (user networks only); the other fields are IPv6 and link-local' })]))
  }, { description: 'Docker\'s EndpointSettings: Aliases and IPAMConfig.IPv4Address are used' })]))
})
const DisconnectBody = Type.Object({
  Container: Type.String(),
  Force: Type.Optional(Type.Boolean({ description: 'Also for a network removed since: its name goes from the container\'s record' }))
})
const ListQuery = Type.Object({ filters: Type.Optional(Type.String({ description: 'JSON: name, id, label, driver, type (custom, builtin), dangling, scope' })) })
const PruneQuery = Type.Object({ filters: Type.Optional(Type.String({ description: 'JSON: label, label!, until' })) })

export const networkRoutes: FastifyPluginAsyncTypebox<{ manager: ContainerManager }> = async (app, { manager }) => {
  const nets = manager.networks
  const doc = (n: NetworkShown): ReturnType<typeof networkDoc> => networkDoc(n, nets.usersOf(n.Id))

  app.get('/networks', {
    schema: { tags, operationId: 'NetworkList', summary: 'List networks', querystring: ListQuery, response: { 200: Type.Array(Network), ...S.errors(400) } }
  }, async (req) => {
    const f = parseFilters(req.query.filters, NETWORK_FILTERS)
    return nets.shown().filter(n => networkMatches(n, nets.usersOf(n.Id).length > 0, f)).map(doc)
  })

  app.get('/networks/:id', {
    schema: { tags, operationId: 'NetworkInspect', summary: 'Inspect a network', params: S.IdParams, response: { 200: Network, ...S.errors(404) } }
  }, async (req) => doc(nets.find(req.params.id)))

  app.post('/networks/create', {
    schema: {
      tags, operationId: 'NetworkCreate', summary: 'Create a network',
      description: 'A bridge network through netavark; its names resolve through aardvark-dns. Without IPAM Config, a subnet from Docker\'s pools (172.17-31.0.0/16, then 192.168.0-240.0/20) that no network and no host route overlaps. ' +
        '400 for a bad CIDR, a gateway or range outside the subnet, IPv6, another driver; 403 for an overlapping subnet or a predefined name; 409 for a name in use.',
      body: CreateBody,
      response: { 201: Type.Object({ Id: Type.String(), Warning: Type.String() }), ...S.errors(400, 403, 409) }
    }
  }, async (req, reply) => {
    const n = await nets.create(req.body)
    return reply.code(201).send({ Id: n.Id, Warning: '' })
  })

  app.delete('/networks/:id', {
    schema: {
      tags, operationId: 'NetworkDelete', summary: 'Remove a network',
      description: '403 for the predefined bridge, host and none; 409 while a container is on it.',
      params: S.IdParams, response: { 204: S.NoContent, ...S.errors(403, 404, 409) }
    }
  }, async (req, reply) => {
    await nets.remove(req.params.id)
    return reply.code(204).send(null)
  })

  app.post('/networks/:id/connect', {
    schema: {
      tags, operationId: 'NetworkConnect', summary: 'Connect a container to a network',
      description: 'A running (or created) container gets the network in its namespace at once (netavark setup of that network alone; its name and aliases resolve through aardvark-dns); an exited one at its next start. The container record keeps it. ' +
        '400 for a host, none or container: mode container, or an address outside the subnet; 403 when it is on the network already, or the address is taken.',
      params: S.IdParams, body: ConnectBody, response: { 200: S.NoContent, ...S.errors(400, 403, 404, 409) }
    }
  }, async (req, reply) => {
    await manager.networking.connect(req.body.Container, req.params.id, req.body.EndpointConfig)
    return reply.code(200).send('' as unknown as null) // Docker's 200 has an empty body, not JSON null
  })

  app.post('/networks/:id/disconnect', {
    schema: {
      tags, operationId: 'NetworkDisconnect', summary: 'Disconnect a container from a network',
      description: 'netavark teardown of that network alone for a running container; the record forgets it. 400 when the container is not on it.',
      params: S.IdParams, body: DisconnectBody, response: { 200: S.NoContent, ...S.errors(400, 404, 409) }
    }
  }, async (req, reply) => {
    await manager.networking.disconnect(req.body.Container, req.params.id, req.body.Force === true)
    return reply.code(200).send('' as unknown as null) // Docker's 200 has an empty body, not JSON null
  })

  app.post('/networks/reconcile', {
    schema: {
      tags, operationId: 'NetworkReconcile', summary: 'Set up again what the host lost of the running containers\' networking (berth)',
      description: 'Not in Docker (whose answer is a daemon restart: moby#12294). After a firewall reload or flush, or a deleted bridge, every running container whose ' +
        'network bridge, forward and masquerade rules or published-port DNAT are missing gets its netavark setup again, in its namespace, with the same addresses and ports; ' +
        'containers whose networking is whole are not touched. berthd does the same at start-up. Repaired: the ids of the containers set up again.',
      response: { 200: Type.Object({ Repaired: Type.Array(Type.String()) }), ...S.errors() }
    }
  }, async () => ({ Repaired: await manager.repairNetworks() }))

  app.post('/networks/prune', {
    schema: {
      tags, operationId: 'NetworkPrune', summary: 'Remove unused networks', querystring: PruneQuery,
      response: { 200: Type.Object({ NetworksDeleted: Type.Array(Type.String()) }), ...S.errors(400) }
    }
  }, async (req) => {
    const f = parseFilters(req.query.filters, new Set(['label', 'label!', 'until']))
    const until = f.get('until')?.at(-1)
    const untilMs = until === undefined ? undefined : /^\d+(\.\d+)?$/.test(until) ? Number(until) * 1000 : Date.parse(until)
    if (untilMs !== undefined && Number.isNaN(untilMs)) throw invalid(`invalid filter 'until=${until ?? ''}'`)
    const has = (labels: Record<string, string>, l: string): boolean => networkMatches({ Name: '', Id: '', Driver: '', Created: '', Labels: labels }, true, new Map([['label', [l]]]))
    const deleted = await nets.prune(n =>
      !(f.get('label') ?? []).every(l => has(n.Labels, l)) ||
      (f.get('label!') ?? []).some(l => has(n.Labels, l)) ||
      (untilMs !== undefined && Date.parse(n.Created) >= untilMs))
    return { NetworksDeleted: deleted }
  })
}
