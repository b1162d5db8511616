import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The web app's files, read once at start-up and served from memory: they
 * are small, and a phone-hosted node should not touch its storage for them.
 * The app is plain ES modules; Preact and htm come from node_modules.
 */

export interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const WEB_ROOT = join(repoRoot, 'src', 'web');

function file(body: Buffer, path: string): StaticFile {
  return { body, type: TYPES[extname(path)] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else yield p;
  }
}

/** The ES module build of a package entry, found next to the CommonJS file `require` resolves. */
function vendorModule(specifier: string, moduleFile: string): Buffer {
  const require = createRequire(import.meta.url);
  return readFileSync(join(dirname(require.resolve(specifier)), moduleFile));
}

/**
 * The service worker's list of files to keep for offline start, and its
 * version, written from the files themselves: a file added to the app is
 * never missing from the shell, and any change makes browsers take the new one.
 */
function withShell(sw: string, files: ReadonlyMap<string, StaticFile>): string {
  const shell = [...files.keys()].filter((u) => u !== '/index.html' && u !== '/sw.js').sort();
  const version = createHash('sha256');
  for (const u of shell) version.update(`${u} ${files.get(u)!.etag}\n`);
  return sw
    .replace(/const VERSION = '[^']*';/, `const VERSION = 'kith-shell-${version.digest('hex').slice(0, 16)}';`)
    .replace(/const SHELL = \[[^\]]*\];/, `const SHELL = ${JSON.stringify(shell)};`);
}

export interface WebApp {
  readonly files: ReadonlyMap<string, StaticFile>;
  /** The Content-Security-Policy for the app's pages: its one inline script (the import map) by hash, nothing else inline. */
  readonly csp: string;
}

export function loadWebApp(root = WEB_ROOT): WebApp {
  const files = new Map<string, StaticFile>();
  for (const p of walk(root)) {
    const url = `/${relative(root, p).split(sep).join('/')}`;
    files.set(url, file(readFileSync(p), p));
  }
  const index = files.get('/index.html');
  if (index) files.set('/', index);
  const vendor: [string, string, string][] = [
    ['/vendor/preact.mjs', 'preact', 'preact.mjs'],
    ['/vendor/preact-hooks.mjs', 'preact/hooks', 'hooks.mjs'],
    ['/vendor/htm.mjs', 'htm', 'htm.module.js'],
    ['/vendor/htm-preact.mjs', 'htm/preact', 'index.module.js'],
  ];
  for (const [url, spec, name] of vendor) files.set(url, file(vendorModule(spec, name), url));
  // Ed25519 in plain JavaScript, for pages opened over plain http on the local network, where
  // browsers withhold WebCrypto (it needs a secure context). Loaded by the app only then.
  files.set('/vendor/noble-ed25519.mjs', file(readFileSync(fileURLToPath(import.meta.resolve('@noble/ed25519'))), 'noble-ed25519.mjs'));
  const hashes = dirname(fileURLToPath(import.meta.resolve('@noble/hashes/sha2.js')));
  for (const name of ['sha2.js', '_md.js', '_u64.js', 'utils.js']) files.set(`/vendor/noble-hashes/${name}`, file(readFileSync(join(hashes, name)), name));
  // What a hosted account's device signs its certificates with (eddsa-jcs-2022, as src/core/proof.ts): JCS and base58btc.
  for (const [url, spec] of [
    ['/vendor/canonicalize.mjs', 'canonicalize'],
    ['/vendor/scure-base.mjs', '@scure/base'],
  ] as const) {
    files.set(url, file(readFileSync(fileURLToPath(import.meta.resolve(spec))), url));
  }
  const sw = files.get('/sw.js');
  if (sw) files.set('/sw.js', file(Buffer.from(withShell(sw.body.toString('utf8'), files)), '/sw.js'));
  const html = index?.body.toString('utf8') ?? '';
  const scriptHashes = [...html.matchAll(/<script type="importmap">([\s\S]*?)<\/script>/g)].map(
    (m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`,
  );
  const csp = [
    "default-src 'self'",
    `script-src 'self' ${scriptHashes.join(' ')}`.trim(),
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ');
  return { files, csp };
}
