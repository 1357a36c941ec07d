// One lint setup for the whole repository: `npm run lint` runs it and the type-check.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinRules } from 'eslint/use-at-your-own-risk';

// The design's "nevers" (docs/architecture.md). Each is ESLint's own no-restricted-imports under its
// own name, so a violation names the never it breaks, and an allow-list entry can excuse one never
// for one file without re-stating the others (flat config replaces a rule's options, never merges them).
// Patterns match the import specifier (static imports and `export … from`; not `import()`): a
// relative path that climbs out of the importing folder into the named top-level folder of src/.
const restrictedImports = builtinRules.get('no-restricted-imports');
const TRANSPORT_FOLDERS = '^(\\.\\./)+(smtp|http|s3events|mailhandler|alerting)/';
const nevers = {
  // Thin edges, one core: the pipeline and the modules know no protocol, folder or library of one.
  'core-imports-no-transport': {
    files: ['src/pipeline/**', 'src/modules/**'],
    paths: ['smtp-server', 'koa', '@koa/router', '@koa/bodyparser', '@aws-sdk/client-s3', '@aws-sdk/client-sqs', 'busboy', 'nodemailer'],
    regex: TRANSPORT_FOLDERS,
    message: 'the pipeline and the modules import no transport: take what you need as an argument, or move it to src/core',
  },
  // Their bookkeeping sits behind the pipeline's door; not even the database's types leak to them.
  'transports-import-no-db': {
    files: ['src/smtp/**', 'src/s3events/**', 'src/mailhandler/**'],
    paths: ['kysely', 'pg', 'pg-copy-streams'],
    regex: '^(\\.\\./)+db/',
    message: 'smtp/, s3events/ and mailhandler/ import nothing from db/: ask the pipeline (its door or deps) instead',
  },
  // http/ may read and write through src/db/*-repository.ts and name the schema's types; no SQL of its own.
  // job-manifest.ts is the one typed reader of the jobs.manifest column (no SQL), so http/ may use it too.
  'http-db-through-repositories': {
    files: ['src/http/**'],
    paths: ['kysely', 'pg', 'pg-copy-streams'],
    regex: '^(\\.\\./)+db/(?!.*-repository\\.js$)(?!database-schema\\.js$)(?!job-manifest\\.js$)',
    allowTypeImports: true,
    message: 'http/ reaches the database only through src/db/*-repository.ts (types may be imported from anywhere in db/)',
  },
  // Alerting keeps its conditions and outbox in PostgreSQL, through repositories like http/: SQL only in src/db/.
  'alerting-db-through-repositories': {
    files: ['src/alerting/**'],
    paths: ['kysely', 'pg', 'pg-copy-streams'],
    regex: '^(\\.\\./)+db/(?!.*-repository\\.js$)(?!database-schema\\.js$)',
    allowTypeImports: true,
    message: 'alerting/ reaches the database only through src/db/*-repository.ts (types may be imported from anywhere in db/)',
  },
  // Modules get the pipeline's helpers through their context, so a module can be tested and versioned alone.
  'modules-import-no-pipeline': {
    files: ['src/modules/**'],
    regex: '^(\\.\\./)+pipeline/',
    message: 'modules import nothing from the pipeline: take the helper from the module context, or move it to src/modules/shared or src/core',
  },
  // main.ts is the only composition root and cli.ts the outermost command layer; cli.ts starts main.ts
  // lazily (`import()`), the one edge into either.
  'nothing-imports-entry-points': {
    files: ['src/**'],
    regex: '^(\\./|(\\.\\./)+)(main|cli)\\.js$',
    message: 'nothing imports src/main.ts or src/cli.ts: move what you need out of them',
  },
};

function neverConfig(name, never) {
  const pattern = { regex: never.regex, caseSensitive: true, message: never.message, ...(never.allowTypeImports ? { allowTypeImports: true } : {}) };
  const paths = (never.paths ?? []).map((name) => ({ name, message: never.message, ...(never.allowTypeImports ? { allowTypeImports: true } : {}) }));
  return { files: never.files, rules: { [`architecture/${name}`]: ['error', { paths, patterns: [pattern] }] } };
}

// Allow-list: files excused from one never each, with the reason.
// An entry is an exception with its reason, never a way to silence a new violation.
const allowed = [
  // PERMANENT, not temporary: the mailhandler is the composition root of the one-shot process
  // Postfix pipe(8) starts per message (as src/main.ts is the service's): it opens the database.
  { never: 'transports-import-no-db', files: ['src/mailhandler/run-mailhandler.ts'] },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', '.tmp/', 'bench/out/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        performance: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Stripping control characters from untrusted input is something this service does on purpose.
      'no-control-regex': 'off',
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read configuration through src/config only' }],
    },
  },
  {
    files: ['src/config/**', 'test/**', 'bench/**', 'bin/**', 'src/cli.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  { plugins: { architecture: { rules: Object.fromEntries(Object.keys(nevers).map((name) => [name, restrictedImports])) } } },
  ...Object.entries(nevers).map(([name, never]) => neverConfig(name, never)),
  ...allowed.map(({ never, files }) => ({ files, rules: { [`architecture/${never}`]: 'off' } })),
);
