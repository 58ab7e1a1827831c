/**
 * The schemas of the image routes (list, inspect, history, tag, delete,
 * prune, pull, import, push, save), re-exported by schemas.ts.
 */
import { Type } from 'typebox'
import { DockerBool, Healthcheck, Labels } from './common-schemas.js'

/** Image names may hold slashes (`library/bb`, `localhost:5000/x`); see imagePath in routes/images.ts. */
export const ImageParams = Type.Object({
  name: Type.String({ description: 'Image name[:tag], full id, or unique id prefix', minLength: 1, maxLength: 512 })
})

export const ImageCreateQuery = Type.Object({
  fromSrc: Type.Optional(Type.String({ description: '`-`: the request body is a rootfs tar (plain or gzip) to import. URLs are not fetched.' })),
  fromImage: Type.Optional(Type.String({ description: 'The image to pull: `name`, `name:tag` or `name@sha256:…`' })),
  repo: Type.Optional(Type.String({ description: 'Repository to tag the import as; may carry a tag' })),
  tag: Type.Optional(Type.String()),
  message: Type.Optional(Type.String({ description: 'Comment for the image and its history entry' })),
  changes: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description: 'Dockerfile instructions applied to the config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR (repeatable)' })),
  platform: Type.Optional(Type.String({ description: 'os[/architecture[/variant]] to pick from a manifest list or index; the host\'s by default' }))
})

/** The X-Registry-Auth header of pulls and pushes. */
export const RegistryAuthHeaders = Type.Object({
  'x-registry-auth': Type.Optional(Type.String({ description: 'Registry credentials: base64url of a JSON AuthConfig ({"username","password"}, or {"identitytoken"} a login returned, or {"registrytoken"}). Never logged nor stored.' }))
})

export const ImagePushQuery = Type.Object({
  tag: Type.Optional(Type.String({ description: 'The tag to push; without one, every tag of the repository' }))
})

export const JsonMessage = Type.Object({
  status: Type.Optional(Type.String()),
  stream: Type.Optional(Type.String()),
  id: Type.Optional(Type.String()),
  progressDetail: Type.Optional(Type.Object({ current: Type.Optional(Type.Integer()), total: Type.Optional(Type.Integer()) })),
  aux: Type.Optional(Type.Union([
    Type.Object({ ID: Type.String() }),
    Type.Object({ Tag: Type.String(), Digest: Type.String(), Size: Type.Integer() }, { description: 'The result of a push, per tag' })
  ])),
  error: Type.Optional(Type.String()),
  errorDetail: Type.Optional(Type.Object({ message: Type.String() }))
}, { $id: 'JsonMessage', title: 'JsonMessage', description: 'Docker\'s JSON-message stream: one such object per line' })

export const ImageSummary = Type.Object({
  Id: Type.String(),
  ParentId: Type.String(),
  RepoTags: Type.Array(Type.String()),
  RepoDigests: Type.Array(Type.String()),
  Created: Type.Integer({ description: 'Unix seconds' }),
  Size: Type.Integer(),
  SharedSize: Type.Integer(),
  VirtualSize: Type.Integer(),
  Labels: Labels,
  Containers: Type.Integer()
})

export const ImageListQuery = Type.Object({
  all: Type.Optional(DockerBool),
  digests: Type.Optional(DockerBool),
  'shared-size': Type.Optional(DockerBool),
  filters: Type.Optional(Type.String({ description: 'JSON: {"reference":["bb","bb:*"],"dangling":["true"],"label":["k","k=v"]}, map form too' }))
})

const ImageConfig = Type.Object({
  Env: Type.Union([Type.Null(), Type.Array(Type.String())]),
  Cmd: Type.Union([Type.Null(), Type.Array(Type.String())]),
  Entrypoint: Type.Union([Type.Null(), Type.Array(Type.String())]),
  WorkingDir: Type.String(),
  User: Type.String(),
  Labels: Type.Union([Type.Null(), Labels]),
  ExposedPorts: Type.Union([Type.Null(), Type.Record(Type.String(), Type.Object({}))]),
  Volumes: Type.Union([Type.Null(), Type.Record(Type.String(), Type.Object({}))]),
  StopSignal: Type.Optional(Type.String()),
  Healthcheck: Type.Optional(Healthcheck)
})

export const ImageInspect = Type.Object({
  Id: Type.String(),
  RepoTags: Type.Array(Type.String()),
  RepoDigests: Type.Array(Type.String()),
  Parent: Type.String(),
  Comment: Type.String(),
  Created: Type.String(),
  Container: Type.String({ description: 'The container docker commit made the image from; empty otherwise' }),
  DockerVersion: Type.String(),
  Author: Type.String(),
  Config: ImageConfig,
  // Only before API 1.45, as Docker: the building container's config, empty here.
  ContainerConfig: Type.Optional(ImageConfig),
  Architecture: Type.String(),
  Os: Type.String(),
  Size: Type.Integer(),
  VirtualSize: Type.Integer(),
  GraphDriver: Type.Object({ Name: Type.String(), Data: Type.Record(Type.String(), Type.String()) }),
  RootFS: Type.Object({ Type: Type.String(), Layers: Type.Array(Type.String()) }),
  Metadata: Type.Object({ LastTagTime: Type.String() })
}, { description: 'Docker\'s image inspect document' })

export const ImageHistory = Type.Array(Type.Object({
  Id: Type.String({ description: 'The image id on the newest entry, `<missing>` on the others' }),
  Created: Type.Integer({ description: 'Unix seconds' }),
  CreatedBy: Type.String(),
  Tags: Type.Union([Type.Null(), Type.Array(Type.String())]),
  Size: Type.Integer(),
  Comment: Type.String()
}), { description: 'Newest first' })

export const ImageTagQuery = Type.Object({
  repo: Type.String({ description: 'Repository, e.g. `bb` or `localhost:5000/me/bb`; may carry `:tag`' }),
  tag: Type.Optional(Type.String({ description: 'Default latest' }))
})

export const ImageDeleteQuery = Type.Object({
  force: Type.Optional(DockerBool),
  noprune: Type.Optional(DockerBool)
})

const DeleteItem = Type.Union([
  Type.Object({ Untagged: Type.String() }),
  Type.Object({ Deleted: Type.String() })
])

export const ImageDeleteResponse = Type.Array(DeleteItem, { description: 'What was untagged and deleted' })

export const ImagePruneResponse = Type.Object({
  ImagesDeleted: Type.Union([Type.Null(), Type.Array(DeleteItem)]),
  SpaceReclaimed: Type.Integer()
})

export const ImageGetQuery = Type.Object({
  names: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description: 'Images to save (repeatable)' })),
  platform: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())]))
})

export const TarResponse = Type.Unsafe<NodeJS.ReadableStream>({
  type: 'string',
  description: 'A docker-save tar: an OCI image layout (oci-layout, index.json, blobs/sha256/...) with manifest.json and repositories; layers uncompressed'
})
