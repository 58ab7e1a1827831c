// Lint rules, including the direction of imports: api → containers → (images,
// shims, runtime, store, logs) → (sys, errors); events/ sits under containers and images
// and imports only store/ and errors. Nothing below the API imports it or fastify.
import tseslint from 'typescript-eslint'

const below = (group, message) => ({ 'no-restricted-imports': ['error', { patterns: [{ group, message }] }] })
const noApi = ['**/api/**', 'fastify', '@fastify/*']

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
  { files: ['src/containers/**'], rules: below(noApi, 'containers/ must not depend on the API layer') },
  { files: ['src/logs/**', 'src/store/**'], rules: below([...noApi, '**/containers/**', '**/shims/**', '**/runtime/**'], 'logs/ and store/ sit below containers, shims and runtime') },
  { files: ['src/events/**'], rules: below([...noApi, '**/containers/**', '**/shims/**', '**/runtime/**', '**/logs/**', '**/images/**', '**/sys/**', '**/proc.js', '**/config.js'], 'events/ sits below containers and images and imports only store/ and errors') },
  { files: ['src/images/**'], rules: below([...noApi, '**/containers/**', '**/shims/**', '**/runtime/**'], 'images/ sits below containers: the container manager uses the store, never the reverse') },
  { files: ['src/shims/**'], rules: below([...noApi, '**/containers/**'], 'shims/ must not depend on containers/ or the API') },
  { files: ['src/runtime/**'], rules: below([...noApi, '**/containers/**', '**/shims/**'], 'runtime/ must not depend on shims/, containers/ or the API') },
  { files: ['src/sys/**'], rules: below([...noApi, '**/containers/**', '**/shims/**', '**/runtime/**', '**/store/**', '**/logs/**', '**/images/**'], 'sys/ wraps libc and imports nothing of berth') },
  { files: ['src/errors.ts', 'src/proc.ts', 'src/config.ts'], rules: below([...noApi, '**/containers/**', '**/shims/**', '**/runtime/**', '**/store/**', '**/logs/**'], 'foundation modules import nothing above them') }
)
