/**
 * docker-compose 1.29's `build:` against berthd: the build through docker-py
 * (COMPOSE_DOCKER_CLI_BUILD=0) and through the docker CLI, `up -d --build`,
 * and `down --rmi all` removing the built image. Its own file: with the
 * stack suites it passed tap's per-file time limit on a loaded machine.
 */
import t from 'tap'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { importBusybox, startDaemon, until } from './helpers.js'
import { composeProject, composeTest } from './compose-helpers.js'

composeTest(t, 'docker-compose build: through docker-py and through the docker CLI, up -d --build, down --rmi all', async t => {
  const d = await startDaemon(t)
  await importBusybox(d, 'bb')
  const { dir, file, project, compose } = await composeProject(t, d, 'built')
  await mkdir(join(dir, 'app'))
  await writeFile(join(dir, 'app', 'Dockerfile'), 'FROM bb\nARG WORD=unset\nRUN echo "built-by-compose $WORD" > /b\nCMD ["sh", "-c", "cat /b; exec sleep 1000"]\n')
  const image = `${project}-app:1`
  await writeFile(file, JSON.stringify({ version: '2.4', services: { app: { build: { context: './app', args: { WORD: 'arg' } }, image } } }))
  // Compose 1.29 builds with docker-py's images.build when told COMPOSE_DOCKER_CLI_BUILD=0, else through the docker CLI.
  for (const viaCli of ['0', '1']) {
    const build = await compose(['build', '--no-cache'], 120_000, { COMPOSE_DOCKER_CLI_BUILD: viaCli, DOCKER_BUILDKIT: '0' })
    t.equal(build.exitCode, 0, build.stderr)
    t.match(build.stdout + build.stderr, /Step 3\/4 : RUN echo "built-by-compose \$WORD" > \/b/, `Compose shows the build stream (COMPOSE_DOCKER_CLI_BUILD=${viaCli})`)
    t.match(build.stdout + build.stderr, `Successfully tagged ${image}`)
  }
  const up = await compose(['up', '-d', '--build'])
  t.equal(up.exitCode, 0, up.stderr)
  await until(async () => (await compose(['logs', '--no-color', 'app'])).stdout.includes('built-by-compose arg'), 15_000, 'the built image runs with the build arg')
  const down = await compose(['down', '-v', '--rmi', 'all'])
  t.equal(down.exitCode, 0, down.stderr)
  t.equal((await d.req('GET', `/images/${image}/json`)).status, 404, 'the built image removed by down --rmi all')
})
