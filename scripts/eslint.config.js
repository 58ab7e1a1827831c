// Lint rules, including the direction of imports: api → containers → (images,
// shims, runtime, store, logs) → (sys, errors); events/ sits under containers and images
// and imports only store/ and errors; security/ (seccomp, SecurityOpt) sits under
// containers and imports only config and errors. Nothing below the API imports it or
// fastify; the API reaches containers through the manager, never the runs, runtimes, store or libc;
// the manager's parts never import the manager; store/ imports nothing of berth;
// registry/ (the registry client) uses images/ types, references and errors, never the
// store itself, and the API reaches it only through its operations (pull.js, push.js,
// login.js) and the credentials they take (auth.js). build/ (buildah) uses the image
// store and the registry client, never the API or the container side.
import tseslint from 'typescript-eslint'

const below = (group, message) => ({ 'no-restricted-imports': ['error', { patterns: [{ group, message }] }] })
const noApi = ['**/api/**', 'fastify', '@fastify/*']
/** The manager's parts: the manager hands them what they need (see SupervisorHost). */
const managerParts = ['table', 'supervisor', 'creator', 'bundle', 'from-image', 'files', 'settings', 'parts'].map(f => `**/containers/${f}.js`)

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'openapi/**', 'test/.rootfs/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: true }]
    }
  },
  // socket-queue is the one sys/ module the API uses: it asks the kernel about the API's own client sockets.
  { files: ['src/api/**'], rules: below(['**/shims/**', '**/runtime/**', '**/store/**', '**/sys/**', '!**/sys/socket-queue.js', '**/registry/**', '!**/registry/pull.js', '!**/registry/push.js', '!**/registry/login.js', '!**/registry/auth.js', ...managerParts], 'api/ reaches containers through the manager (and the pure Docker-shape modules), never the runs, runtimes, store, libc or the manager\'s parts; registries only through registry/pull.js, push.js, login.js and auth.js (credentials)') },
  { files: ['src/containers/manager.ts'], rules: below(noApi, 'containers/ must not depend on the API layer') },
  { files: ['src/containers/**'], ignores: ['src/containers/manager.ts'], rules: below([...noApi, '**/manager.js'], 'containers/ must not depend on the API layer, and the manager\'s parts must not import the manager') },
  { files: ['src/logs/**'], rules: below([...noApi, '**/containers/**', '**/shims/**', '**/runtime/**'], 'logs/ sits below containers, shims and runtime') },
  { files: ['src/store/**'], rules: below(['../**', 'fastify', '@fastify/*'], 'store/ imports nothing of berth') },
  { files: ['src/events/**'], rules: below([...noApi, '**/containers/**', '**/shims/**', '**/runtime/**', '**/logs/**', '**/images/**', '**/sys/**', '**/proc.js', '**/config.js'], 'events/ sits below containers and images and imports only store/ and errors') },
  { files: ['src/images/**'], rules: below([...noApi, '**/containers/**', '**/shims/**', '**/runtime/**', '**/registry/**'], 'images/ sits below containers: the container manager uses the store, never the reverse; the store does not know registries') },
  { files: ['src/volumes/**'], rules: below([...noApi, '**/containers/**', '**/shims/**', '**/runtime/**', '**/images/**', '**/registry/**', '**/logs/**'], 'volumes/ sits below containers: the container side asks the store, and tells it who uses what') },
  { files: ['src/registry/**'], rules: below([...noApi, '**/containers/**', '**/shims/**', '**/runtime/**', '**/logs/**', '**/sys/**', '**/images/store.js', '**/images/archive.js'], 'registry/ uses images/ types, references and errors, and reaches the store only through the PullSink it is handed') },
  { files: ['src/build/**'], rules: below([...noApi, '**/containers/**', '**/shims/**', '**/runtime/**', '**/logs/**', '**/sys/**'], 'build/ (the buildah builder) sits beside containers: it uses the image store and the registry client, never the API or the container side') },
  { files: ['src/shims/**'], rules: below([...noApi, '**/containers/**'], 'shims/ must not depend on containers/ or the API') },
  { files: ['src/runtime/**'], rules: below([...noApi, '**/containers/**', '**/shims/**'], 'runtime/ must not depend on shims/, containers/ or the API') },
  { files: ['src/sys/**'], rules: below([...noApi, '**/containers/**', '**/shims/**', '**/runtime/**', '**/store/**', '**/logs/**', '**/images/**'], 'sys/ wraps libc and imports nothing of berth') },
  { files: ['src/security/**'], rules: below([...noApi, '**/containers/**', '**/shims/**', '**/runtime/**', '**/store/**', '**/logs/**', '**/images/**', '**/registry/**', '**/events/**', '**/sys/**'], 'security/ sits below containers and imports only config and errors') },
  { files: ['src/errors.ts', 'src/proc.ts', 'src/config.ts', 'src/async.ts'], rules: below([...noApi, '**/containers/**', '**/shims/**', '**/runtime/**', '**/store/**', '**/logs/**'], 'foundation modules import nothing above them') }
)
