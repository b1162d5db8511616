import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { repoRoot, tempDir, vectorsDir } from './helpers.js';
import { keyPairFromSeed } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { sha256 } from '../src/core/bytes.js';
import { seedToPhrase } from '../src/core/mnemonic.js';
import { signDocument } from '../src/core/proof.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { KithNode } from '../src/node/kith-node.js';

/**
 * End-to-end tests of the `kith` command: the real bin/kith.js in a child
 * process, a fresh KITH_HOME per test, stdin never a terminal, a time limit
 * on every run.
 */

const KITH = join(repoRoot, 'bin', 'kith.js');
/** No command may take this long; hitting it (a hang, say, waiting on stdin) fails the test. */
const TIMEOUT_MS = 20_000;

const DID_KEY = /^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]+$/;
const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';

const made: string[] = [];
/** A temporary folder, removed when the tests end. */
function tmp(): string {
  const dir = tempDir('kith-cli-');
  made.push(dir);
  return dir;
}
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

interface RunOptions {
  home: string;
  /** Written to stdin, which is then closed. Without it, stdin is 'ignore' (/dev/null). */
  input?: string | Buffer;
  /** Leave stdin an open pipe that is never written or closed. */
  openStdin?: boolean;
  env?: Record<string, string>;
}

/** The environment a child gets: ours without any Kith settings, plus what the test sets. */
function childEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('KITH_')) delete env[k];
  return { ...env, KITH_HOME: home, ...extra };
}

function run(args: string[], opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const stdin = opts.input !== undefined || opts.openStdin ? 'pipe' : 'ignore';
  const child = spawn(process.execPath, [KITH, ...args], {
    cwd: repoRoot,
    env: childEnv(opts.home, opts.env),
    stdio: [stdin, 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kith ${args.join(' ')} did not finish within ${TIMEOUT_MS} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, TIMEOUT_MS);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (opts.openStdin) child.stdin!.destroy();
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function describeRun(args: string[], r: RunResult): string {
  return `kith ${args.join(' ')} exited ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}

/** Runs a command that must succeed (exit 0) and returns its --json output. */
async function ok(args: string[], opts: RunOptions): Promise<any> {
  const r = await run([...args, '--json'], opts);
  assert.equal(r.code, 0, describeRun(args, r));
  return JSON.parse(r.stdout);
}

/** Runs a command that must fail (exit 1) and returns its --json error document. */
async function refused(args: string[], opts: RunOptions): Promise<{ code: string; message: string }> {
  const r = await run([...args, '--json'], opts);
  assert.equal(r.code, 1, describeRun(args, r));
  const out = JSON.parse(r.stdout);
  assert.equal(out.ok, false, r.stdout);
  assert.equal(typeof out.error.code, 'string');
  assert.equal(typeof out.error.message, 'string');
  assert.ok(out.error.message.length > 0);
  return out.error;
}

/** A fresh home with a new identity; returns the home and init's output. */
async function freshNode(...initArgs: string[]): Promise<{ home: string; id: any }> {
  const home = tmp();
  return { home, id: await ok(['init', ...initArgs], { home }) };
}

/** A fresh home restored from a recovery phrase: the same identity on a new machine. */
async function restoredFrom(phrase: string): Promise<{ home: string; id: any }> {
  const home = tmp();
  return { home, id: await ok(['init', '--recover'], { home, env: { KITH_RECOVERY_PHRASE: phrase } }) };
}

function note(did: string, content: string) {
  return {
    '@context': ['https://www.w3.org/ns/activitystreams', 'https://w3id.org/security/data-integrity/v1'],
    id: `ap://${did}/objects/${randomUUID()}`,
    type: 'Note',
    attributedTo: `ap://${did}/actor`,
    content,
    published: new Date().toISOString(),
    to: [PUBLIC],
  };
}

/** How many objects a home's store holds (read in-process; no command lists them all). */
function objectCount(home: string): number {
  const node = KithNode.open(home);
  try {
    return node.store.objects.count();
  } finally {
    node.close();
  }
}

/** Another word that makes the phrase fail its BIP-39 checksum (most do; this picks one that surely does). */
function breakChecksum(phrase: string, index: number): string {
  const words = phrase.split(' ');
  for (const w of wordlist) {
    if (w === words[index]) continue;
    const changed = words.slice();
    changed[index] = w;
    const s = changed.join(' ');
    if (!validateMnemonic(s, wordlist)) return s;
  }
  throw new Error('no word breaks the checksum');
}

describe('kith command', { concurrency: 2 }, () => {
  test('init --json creates an identity with a 0600 key, and a second init refuses to replace it', async () => {
    const home = tmp();
    const id = await ok(['init'], { home });
    assert.equal(id.ok, true);
    assert.match(id.did, DID_KEY);
    assert.equal(id.actor, `ap://${id.did}/actor`);
    assert.match(id.fingerprint, /^[0-9a-f]{4}( [0-9a-f]{4}){7}$/);
    assert.equal(id.recovered, false);
    const words = id.recoveryPhrase.split(' ');
    assert.equal(words.length, 24);
    for (const w of words) assert.ok(wordlist.includes(w), `${w} is a BIP-39 word`);
    assert.ok(validateMnemonic(id.recoveryPhrase, wordlist));

    const keyFile = join(home, 'identity.key');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(statSync(home).mode & 0o077, 0, 'home is private to its owner');
    const keyBefore = readFileSync(keyFile);

    const again = await refused(['init'], { home });
    assert.equal(again.code, 'conflict');
    assert.match(again.message, /already holds an identity/);
    // Without --json: the message on stderr, nothing on stdout.
    const human = await run(['init'], { home });
    assert.equal(human.code, 1);
    assert.equal(human.stdout, '');
    assert.match(human.stderr, /^kith: .*already holds an identity/);
    assert.deepEqual(readFileSync(keyFile), keyBefore);
    assert.equal((await ok(['whoami'], { home })).did, id.did);

    // Two homes, two identities.
    const other = await freshNode();
    assert.notEqual(other.id.did, id.did);
    assert.notEqual(other.id.recoveryPhrase, id.recoveryPhrase);
  });

  test('init --recover restores the same DID from a file, stdin or KITH_RECOVERY_PHRASE, and refuses bad phrases', async () => {
    const a = await freshNode();
    const phrase: string = a.id.recoveryPhrase;

    const b = tmp();
    const phraseFile = join(tmp(), 'phrase.txt');
    writeFileSync(phraseFile, `  ${phrase.split(' ').join('\n')}\n`);
    const fromFile = await ok(['init', '--recover', '--phrase-file', phraseFile], { home: b });
    assert.equal(fromFile.recovered, true);
    assert.equal(fromFile.recoveryPhrase, undefined, 'a restore does not print the phrase back');

    const c = tmp();
    const fromStdin = await ok(['init', '--recover', '--phrase-file', '-'], { home: c, input: phrase.toUpperCase() + '\n' });

    const d = tmp();
    const fromEnv = await ok(['init', '--recover'], { home: d, env: { KITH_RECOVERY_PHRASE: phrase } });

    // --phrase-file alone also restores: it never quietly makes a new identity instead.
    const b2 = tmp();
    const implied = await ok(['init', '--phrase-file', phraseFile], { home: b2 });
    assert.equal(implied.recovered, true);

    for (const r of [fromFile, fromStdin, fromEnv, implied]) {
      assert.equal(r.did, a.id.did);
      assert.equal(r.actor, a.id.actor);
      assert.equal(r.fingerprint, a.id.fingerprint);
    }
    assert.equal((await ok(['phrase'], { home: d })).recoveryPhrase, phrase);

    // One word changed: the checksum catches it.
    const e = tmp();
    const typo = join(tmp(), 'typo.txt');
    writeFileSync(typo, breakChecksum(phrase, 7));
    const bad = await refused(['init', '--recover', '--phrase-file', typo], { home: e });
    assert.equal(bad.code, 'bad-encoding');
    assert.match(bad.message, /checksum/);
    assert.equal(existsSync(join(e, 'identity.key')), false);

    // A 12-word phrase is not a Kith phrase.
    const short = await refused(['init', '--recover', '--phrase-file', '-'], { home: e, input: phrase.split(' ').slice(0, 12).join(' ') });
    assert.equal(short.code, 'malformed');
    assert.match(short.message, /24 words.*12/);
    assert.equal(existsSync(join(e, 'identity.key')), false);

    // A phrase file that is not there.
    const missing = await refused(['init', '--recover', '--phrase-file', join(e, 'nope.txt')], { home: e });
    assert.equal(missing.code, 'io');
    assert.equal(existsSync(join(e, 'identity.key')), false);

    // No phrase source and stdin not a terminal: fail at once, never wait for input. A command that
    // waited on the open stdin would never exit by itself, and run() would give up on it and throw.
    for (const stdin of [{}, { input: '' }, { openStdin: true }] as const) {
      const r = await run(['init', '--recover'], { home: e, ...stdin });
      assert.equal(r.code, 1, describeRun(['init', '--recover'], r));
      assert.match(r.stderr, /^kith: .*--phrase-file/);
      assert.equal(existsSync(join(e, 'identity.key')), false);
    }
  });

  test('whoami and phrase report the identity init created', async () => {
    const { home, id } = await freshNode();
    const who = await ok(['whoami'], { home });
    assert.deepEqual({ did: who.did, actor: who.actor, fingerprint: who.fingerprint }, { did: id.did, actor: id.actor, fingerprint: id.fingerprint });
    assert.equal(who.home, id.home);
    assert.deepEqual(await ok(['phrase'], { home }), { recoveryPhrase: id.recoveryPhrase });
    // --name goes into the signed actor document.
    const named = tmp();
    const alice = await ok(['init', '--name', 'Alice Example'], { home: named });
    const actorDoc = await ok(['show', alice.actor], { home: named });
    assert.equal(actorDoc.type, 'Person');
    assert.equal(actorDoc.name, 'Alice Example');
    assert.equal(actorDoc.id, alice.actor);
    assert.equal(actorDoc.outbox, `${alice.actor}/outbox`);
    assert.equal((await ok(['show', id.actor], { home })).name, undefined);
    // --home beats KITH_HOME.
    const elsewhere = tmp();
    assert.equal((await ok(['--home', home, 'whoami'], { home: elsewhere })).did, id.did);
    // No identity yet.
    const none = await refused(['whoami'], { home: elsewhere });
    assert.equal(none.code, 'not-found');
    assert.match(none.message, /kith init/);
  });

  test('post, outbox pages and show', async () => {
    const { home, id } = await freshNode();
    const first = await ok(['post', 'hello'], { home });
    const second = await ok(['post', 'second'], { home });
    for (const p of [first, second]) {
      assert.equal(p.ok, true);
      assert.equal(p.status, 'stored');
      assert.equal(p.type, 'Create');
      assert.equal(p.owner, id.did);
      assert.match(p.digest, /^[0-9a-f]{64}$/);
      assert.ok(p.noteId.startsWith(`ap://${id.did}/objects/`), p.noteId);
      assert.ok(p.id.startsWith(`ap://${id.did}/objects/`), p.id);
      assert.notEqual(p.noteId, p.id);
    }
    assert.notEqual(first.noteId, second.noteId);

    const all = await ok(['outbox'], { home });
    assert.equal(all.items.length, 2);
    assert.equal(all.next, null);
    assert.deepEqual(
      all.items.map((i: any) => i.object.object.source.content),
      ['second', 'hello'],
    );
    assert.deepEqual(
      all.items.map((i: any) => [i.type, i.id, i.digest, i.object.object.id]),
      [
        ['Create', second.id, second.digest, second.noteId],
        ['Create', first.id, first.digest, first.noteId],
      ],
    );
    for (const i of all.items) {
      assert.equal(i.object.actor, id.actor);
      assert.equal(i.object.proof.cryptosuite, 'eddsa-jcs-2022');
      assert.ok(i.object.proof.verificationMethod.startsWith(`${id.did}#`));
    }

    const page1 = await ok(['outbox', '--limit', '1'], { home });
    assert.equal(page1.items.length, 1);
    assert.equal(page1.items[0].id, second.id);
    assert.equal(typeof page1.next, 'string');
    const page2 = await ok(['outbox', '--limit', '1', '--before', page1.next], { home });
    assert.equal(page2.items.length, 1);
    assert.equal(page2.items[0].id, first.id);
    const page3 = await ok(['outbox', '--limit', '1', '--before', page2.next], { home });
    assert.deepEqual(page3, { items: [], next: null });
    assert.equal((await refused(['outbox', '--before', 'nonsense'], { home })).code, 'malformed');
    assert.equal((await refused(['outbox', '--limit', '0'], { home })).code, 'malformed');

    const shown = await ok(['show', first.noteId], { home });
    assert.equal(shown.type, 'Note');
    assert.equal(shown.id, first.noteId);
    assert.equal(shown.attributedTo, id.actor);
    assert.equal(shown.source.content, 'hello');
    assert.equal(shown.content, '<p>hello</p>');
    const activity = await ok(['show', second.id], { home });
    assert.equal(activity.type, 'Create');
    assert.equal(activity.object.id, second.noteId);
    assert.equal((await ok(['show', id.actor], { home })).type, 'Person');

    const unknown = await refused(['show', `ap://${id.did}/objects/${randomUUID()}`], { home });
    assert.equal(unknown.code, 'not-found');

    const reply = await ok(['post', 'a reply', '--reply-to', first.noteId], { home });
    const replyNote = await ok(['show', reply.noteId], { home });
    assert.equal(replyNote.inReplyTo, first.noteId);
    assert.equal((await refused(['post', 'to nothing', '--reply-to', 'nonsense'], { home })).code, 'malformed');
    assert.equal((await refused(['post', 'to nothing', '--reply-to', ''], { home })).code, 'malformed');

    const empty = await refused(['post', ''], { home });
    assert.equal(empty.code, 'malformed');
    assert.equal((await refused(['post', '  \n '], { home })).code, 'malformed');
    const after = await ok(['outbox'], { home });
    assert.deepEqual(
      after.items.map((i: any) => i.id),
      [reply.id, second.id, first.id],
      'refused posts store nothing',
    );
  });

  test('sign and verify: valid, tampered, wrong key, malformed, a W3C vector, and stdin', async () => {
    const { home, id } = await freshNode();
    const dir = tmp();
    const unsigned = note(id.did, 'Signed on the command line.');
    const docFile = join(dir, 'note.json');
    writeFileSync(docFile, JSON.stringify(unsigned, null, 2));
    const signedFile = join(dir, 'signed.json');
    const signOut = await ok(['sign', docFile, '-o', signedFile], { home });
    assert.deepEqual(signOut, { ok: true, output: signedFile });
    const signed = JSON.parse(readFileSync(signedFile, 'utf8'));
    const { proof, ...body } = signed;
    assert.deepEqual(body, unsigned);
    assert.equal(proof.type, 'DataIntegrityProof');
    assert.equal(proof.cryptosuite, 'eddsa-jcs-2022');
    assert.equal(proof.proofPurpose, 'assertionMethod');
    assert.ok(proof.verificationMethod.startsWith(`${id.did}#`));

    const valid = await ok(['verify', signedFile], { home });
    assert.equal(valid.valid, true);
    assert.equal(valid.id, unsigned.id);
    assert.equal(valid.type, 'Note');
    assert.equal(valid.signer, id.did);
    assert.equal(valid.owner, id.did);
    // verify checks; it does not store.
    assert.equal((await refused(['show', unsigned.id], { home })).code, 'not-found');

    // One character of the content changed.
    const text = readFileSync(signedFile, 'utf8');
    assert.ok(text.includes('Signed on the command line.'));
    const tamperedFile = join(dir, 'tampered.json');
    writeFileSync(tamperedFile, text.replace('Signed on the command line.', 'Signed on the command line!'));
    const tampered = await run(['verify', tamperedFile, '--json'], { home });
    assert.equal(tampered.code, 1, describeRun(['verify', tamperedFile], tampered));
    const tv = JSON.parse(tampered.stdout);
    assert.equal(tv.valid, false);
    assert.equal(tv.code, 'bad-signature');
    assert.equal(typeof tv.reason, 'string');
    // People see INVALID on stdout and exit 1.
    const tamperedHuman = await run(['verify', tamperedFile], { home });
    assert.equal(tamperedHuman.code, 1);
    assert.match(tamperedHuman.stdout, /^INVALID: /);

    // A Note claiming another DID's id, signed by this node's key.
    const otherDid = didFromPublicKey(keyPairFromSeed(sha256('cli test: someone else')).publicKey);
    assert.notEqual(otherDid, id.did);
    const foreignFile = join(dir, 'foreign.json');
    writeFileSync(foreignFile, JSON.stringify(note(otherDid, 'Not mine to sign.')));
    const foreignSigned = join(dir, 'foreign-signed.json');
    await ok(['sign', foreignFile, '-o', foreignSigned], { home });
    const foreign = await run(['verify', foreignSigned, '--json'], { home });
    assert.equal(foreign.code, 1, describeRun(['verify', foreignSigned], foreign));
    assert.equal(JSON.parse(foreign.stdout).valid, false);
    assert.equal(JSON.parse(foreign.stdout).code, 'wrong-key');

    // Not JSON at all.
    const junkFile = join(dir, 'junk.json');
    writeFileSync(junkFile, '{"type": "Note", oops');
    const junk = await run(['verify', junkFile, '--json'], { home });
    assert.equal(junk.code, 1, describeRun(['verify', junkFile], junk));
    assert.equal(JSON.parse(junk.stdout).valid, false);
    assert.equal(JSON.parse(junk.stdout).code, 'malformed');
    assert.equal((await refused(['sign', junkFile], { home })).code, 'malformed');

    // The W3C eddsa-jcs-2022 vector (the repository's copy): a credential, so only its proof is checked.
    const vectorFile = join(vectorsDir, 'eddsa-jcs-2022', 'signedJCS.json');
    const vector = await ok(['verify', vectorFile], { home });
    assert.equal(vector.valid, true);
    assert.equal(vector.proofOnly, true);
    assert.equal(vector.signer, 'did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2');
    // The same vector changed by one character, on stdin: refused.
    const vectorText = readFileSync(vectorFile, 'utf8');
    assert.ok(vectorText.includes('The School of Examples'));
    const badVector = await run(['verify', '-', '--json'], { home, input: vectorText.replace('The School of Examples', 'The School of Examplez') });
    assert.equal(badVector.code, 1, describeRun(['verify', '-'], badVector));
    assert.equal(JSON.parse(badVector.stdout).valid, false);
    assert.equal(JSON.parse(badVector.stdout).code, 'bad-signature');

    // sign - reads stdin and prints the signed document; verify - checks it from stdin.
    const piped = note(id.did, 'Through a pipe.');
    const signedPipe = await run(['sign', '-'], { home, input: JSON.stringify(piped) });
    assert.equal(signedPipe.code, 0, describeRun(['sign', '-'], signedPipe));
    const fromPipe = JSON.parse(signedPipe.stdout);
    assert.equal(fromPipe.content, 'Through a pipe.');
    assert.ok(fromPipe.proof.verificationMethod.startsWith(`${id.did}#`));
    const verifiedPipe = await ok(['verify', '-'], { home, input: signedPipe.stdout });
    assert.equal(verifiedPipe.valid, true);
    assert.equal(verifiedPipe.id, piped.id);
    // Another node checks it too: the proof needs nothing from the signer's home.
    const other = await freshNode();
    assert.equal((await ok(['verify', signedFile], { home: other.home })).signer, id.did);

    // A document that already carries a proof is not signed again.
    assert.equal((await refused(['sign', signedFile], { home })).code, 'conflict');
    assert.equal((await refused(['sign', join(dir, 'missing.json')], { home })).code, 'io');
  });

  test('export and import: a backup lands whole, once, only for its own identity, and a damaged one not at all', async () => {
    const a = await freshNode('--name', 'Ann Example');
    const posts = [];
    for (const text of ['note one', 'note two', 'note three']) posts.push(await ok(['post', text], { home: a.home }));
    const dir = tmp();
    const backup = join(dir, 'a.kith');
    const exported = await ok(['export', backup], { home: a.home });
    assert.equal(exported.ok, true);
    assert.equal(exported.actor, a.id.did);
    assert.equal(exported.objects, 4, '3 Creates and the actor document');
    const bytes = readFileSync(backup);
    assert.equal(exported.bytes, bytes.length);
    assert.equal(statSync(backup).mode & 0o777, 0o600);
    const lines = bytes.toString('utf8').split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    assert.equal(lines.length, 1 + 4 + 1, 'header, 4 objects, manifest');

    // Refused backups first, into a home restored from A's phrase: nothing lands.
    const c = await restoredFrom(a.id.recoveryPhrase);
    assert.equal(c.id.did, a.id.did);
    const outboxBefore = await ok(['outbox'], { home: c.home });
    const actorBefore = await ok(['show', a.id.actor], { home: c.home });
    const objectsBefore = objectCount(c.home);
    const noteLine = lines.findIndex((l) => l.includes('note two'));
    assert.ok(noteLine > 0);
    const changed = Buffer.from(bytes);
    const at = bytes.indexOf('note two') + 'note '.length;
    assert.ok(at > 0);
    changed[at] = 'T'.charCodeAt(0);
    const changedFile = join(dir, 'changed.kith');
    writeFileSync(changedFile, changed);
    const changedErr = await refused(['import', changedFile], { home: c.home });
    assert.equal(changedErr.code, 'bad-signature');

    const cut = Buffer.from(bytes.subarray(0, bytes.length - 20));
    const cutFile = join(dir, 'cut.kith');
    writeFileSync(cutFile, cut);
    const cutErr = await refused(['import', cutFile], { home: c.home });
    assert.equal(cutErr.code, 'malformed');
    assert.match(cutErr.message, /truncated/);

    const noManifest = join(dir, 'no-manifest.kith');
    writeFileSync(noManifest, lines.slice(0, -1).join('\n') + '\n');
    const noManifestErr = await refused(['import', noManifest], { home: c.home });
    assert.equal(noManifestErr.code, 'malformed');
    assert.match(noManifestErr.message, /truncated/);

    assert.deepEqual(await ok(['outbox'], { home: c.home }), outboxBefore);
    assert.equal(objectCount(c.home), objectsBefore);
    for (const p of posts) assert.equal((await refused(['show', p.noteId], { home: c.home })).code, 'not-found');
    assert.deepEqual(await ok(['show', a.id.actor], { home: c.home }), actorBefore, 'the actor document is still the one init made');

    // Someone else's node refuses it, and says whose it is.
    const other = await freshNode();
    const foreign = await refused(['import', backup], { home: other.home });
    assert.equal(foreign.code, 'wrong-key');
    assert.ok(foreign.message.includes(a.id.did), foreign.message);
    assert.match(foreign.message, /"Ann Example"/);
    assert.match(foreign.message, /kith init --recover/);
    for (const p of posts) assert.equal((await refused(['show', p.noteId], { home: other.home })).code, 'not-found');
    assert.equal((await refused(['show', a.id.actor], { home: other.home })).code, 'not-found');

    // The intact backup, into another home restored from A's phrase (its init made an actor version of its own).
    const b = await restoredFrom(a.id.recoveryPhrase);
    const imported = await ok(['import', backup], { home: b.home });
    assert.equal(imported.ok, true);
    assert.equal(imported.actor, a.id.did);
    assert.equal(imported.objects, 4);
    assert.equal(imported.stored, 4);
    assert.equal(imported.duplicates, 0);
    assert.deepEqual(imported.profileRestored, ['name']);
    for (const p of posts) {
      const inA = await run(['show', p.noteId], { home: a.home });
      const inB = await run(['show', p.noteId], { home: b.home });
      assert.equal(inA.code, 0, describeRun(['show', p.noteId], inA));
      assert.equal(inB.code, 0, describeRun(['show', p.noteId], inB));
      assert.equal(inB.stdout, inA.stdout);
      assert.equal(JSON.parse(inB.stdout).id, p.noteId);
    }
    // The restored profile: a new version signed by the same key, with the name from the backup.
    const actorInB = await ok(['show', a.id.actor], { home: b.home });
    const actorInA = await ok(['show', a.id.actor], { home: a.home });
    assert.equal(actorInB.name, 'Ann Example');
    assert.equal(actorInB.id, actorInA.id);
    assert.equal(actorInB.outbox, actorInA.outbox);
    assert.equal((await ok(['verify', '-'], { home: b.home, input: JSON.stringify(actorInB) })).signer, a.id.did);
    assert.equal((await ok(['whoami'], { home: b.home })).did, a.id.did);

    const again = await ok(['import', backup], { home: b.home });
    assert.equal(again.stored, 0);
    assert.equal(again.duplicates, 4);
    assert.deepEqual(again.profileRestored, [], 'nothing left to restore');
    assert.equal((await refused(['export', join(dir, 'no', 'such', 'dir.kith')], { home: a.home })).code, 'io');
  });

  test('import is all or nothing even when the manifest is genuine but one object is bad', async () => {
    const a = await freshNode();
    const good = await ok(['post', 'a good note'], { home: a.home });
    await ok(['post', 'a note to spoil'], { home: a.home });
    const dir = tmp();
    const backup = join(dir, 'a.kith');
    await ok(['export', backup], { home: a.home });
    const lines = readFileSync(backup, 'utf8').split('\n').slice(0, -2); // header and objects
    assert.equal(lines.length, 4);
    const spoilt = lines.findIndex((l) => l.includes('a note to spoil'));
    assert.ok(spoilt > 0);

    // The identity itself signs a manifest over the altered content, so only the object's own proof can catch it.
    const forge = async (objects: string[]): Promise<string> => {
      const header = JSON.stringify({ ...JSON.parse(lines[0]!), objects: objects.length });
      const body = [header, ...objects].join('\n') + '\n';
      const manifest = {
        type: 'KithBackupManifest',
        version: 2,
        actor: a.id.did,
        objects: objects.length,
        trees: 0,
        blocks: 0,
        sha256: createHash('sha256').update(body).digest('hex'),
        created: new Date().toISOString(),
      };
      const signed = await run(['sign', '-'], { home: a.home, input: JSON.stringify(manifest) });
      assert.equal(signed.code, 0, describeRun(['sign', '-'], signed));
      const file = join(dir, `forged-${randomUUID()}.kith`);
      writeFileSync(file, body + JSON.stringify(JSON.parse(signed.stdout)) + '\n');
      return file;
    };
    const objects = lines.slice(1);
    const tampered = objects.map((l) => (l.includes('a note to spoil') ? l.replace('a note to spoil', 'a note to spoiL') : l));
    const b = await restoredFrom(a.id.recoveryPhrase);
    const objectsBefore = objectCount(b.home);
    const err = await refused(['import', await forge(tampered)], { home: b.home });
    assert.equal(err.code, 'bad-signature');
    assert.match(err.message, /object \d of the backup was refused/);

    // A genuine object of someone else inside A's backup.
    const c = await freshNode();
    const cPost = await ok(['post', 'not A at all'], { home: c.home });
    const cLine = JSON.stringify(await ok(['show', cPost.id], { home: c.home }));
    const foreign = await refused(['import', await forge([...objects, cLine])], { home: b.home });
    assert.equal(foreign.code, 'wrong-key');

    // Nothing of either attempt landed, not even the objects that were fine (A's actor version among them).
    assert.equal(objectCount(b.home), objectsBefore);
    for (const id of [good.noteId, good.id, cPost.id]) {
      assert.equal((await refused(['show', id], { home: b.home })).code, 'not-found', id);
    }
    // The same manifest trick with intact objects is accepted: the refusals above were the objects' doing.
    const fine = await ok(['import', await forge(objects)], { home: b.home });
    assert.equal(fine.stored, 3);
    assert.equal((await ok(['show', good.noteId], { home: b.home })).source.content, 'a good note');
  });

  test('a large backup (checked on worker threads) imports whole, round-trips through export, and a bad one lands not at all', async () => {
    // An identity this test also holds in-process, so it can sign a big backup without a spawn per object.
    const key = keyPairFromSeed(sha256('cli test: large backup'));
    const did = didFromPublicKey(key.publicKey);
    const start = Date.parse('2025-06-01T00:00:00Z');
    const count = 150;
    const objects: string[] = [];
    const noteIds: string[] = [];
    for (let i = 0; i < count; i++) {
      const n = buildNote(did, { text: `bulk note ${i}` }, start + i * 1000);
      noteIds.push(n.id as string);
      objects.push(JSON.stringify(signDocument(buildCreate(did, n, start + i * 1000), key)));
    }
    const dir = tmp();
    const backupOf = (lines: string[], name: string): string => {
      const body = [JSON.stringify({ type: 'KithBackup', version: 1, actor: did, created: new Date().toISOString() }), ...lines].join('\n') + '\n';
      const manifest = signDocument(
        {
          type: 'KithBackupManifest',
          actor: did,
          objects: lines.length,
          sha256: createHash('sha256').update(body).digest('hex'),
          created: new Date().toISOString(),
        },
        key,
      );
      const file = join(dir, name);
      writeFileSync(file, body + JSON.stringify(manifest) + '\n');
      return file;
    };

    const a = tmp();
    const restored = await ok(['init', '--recover'], { home: a, env: { KITH_RECOVERY_PHRASE: seedToPhrase(key.seed) } });
    assert.equal(restored.did, did);

    // One object in the middle with a changed character, under a genuine manifest.
    const bad = objects.slice();
    bad[97] = bad[97]!.replace('bulk note 97', 'bulk note 9?');
    assert.notEqual(bad[97], objects[97]);
    const refusedBig = await refused(['import', backupOf(bad, 'bad.kith')], { home: a });
    assert.equal(refusedBig.code, 'bad-signature');
    assert.match(refusedBig.message, /object 98 of the backup was refused/);
    assert.deepEqual(await ok(['outbox', '--limit', '500'], { home: a }), { items: [], next: null });

    const imported = await ok(['import', backupOf(objects, 'good.kith')], { home: a });
    assert.equal(imported.objects, count);
    assert.equal(imported.stored, count);
    assert.equal(imported.duplicates, 0);
    const outbox = await ok(['outbox', '--limit', '500'], { home: a });
    assert.equal(outbox.items.length, count);
    assert.equal(outbox.items[0].object.object.source.content, `bulk note ${count - 1}`);
    assert.equal(outbox.items.at(-1).object.object.id, noteIds[0]);

    // Export it again (the actor document as well) and import that into another node.
    const exported = await ok(['export', join(dir, 'again.kith')], { home: a });
    assert.equal(exported.objects, count + 1);
    const b = await restoredFrom(seedToPhrase(key.seed));
    const into = await ok(['import', join(dir, 'again.kith')], { home: b.home });
    assert.equal(into.stored, count + 1);
    for (const i of [0, 97, count - 1]) {
      const inA = await run(['show', noteIds[i]!], { home: a });
      const inB = await run(['show', noteIds[i]!], { home: b.home });
      assert.equal(inA.code, 0, describeRun(['show', noteIds[i]!], inA));
      assert.equal(inB.stdout, inA.stdout);
      assert.equal(JSON.parse(inB.stdout).source.content, `bulk note ${i}`);
    }
  });

  test('start runs the node with a token-guarded control endpoint and stops cleanly on SIGTERM', async () => {
    const home = tmp();
    // Every port the node opens is 0 (any free one): a test never takes a port the user's own node may hold.
    const args = ['start', '--json', '--control-port', '0', '--api-port', '0', '--port', '0', '--host', '127.0.0.1', '--no-mdns', '--no-relay'];
    const child = spawn(process.execPath, [KITH, ...args], {
      cwd: repoRoot,
      env: childEnv(home),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      const started = await firstJson(child, () => stderr);
      assert.match(started.did, DID_KEY);
      assert.equal(started.actor, `ap://${started.did}/actor`);
      assert.equal(started.created, true);
      assert.equal(started.objects, 2, 'the actor document, and its new version listing the peer addresses');
      assert.match(started.peerId, /^12D3KooW/);
      assert.ok(started.addresses.length > 0);
      for (const a of started.addresses) assert.match(a, new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${started.peerId}$`));
      assert.match(started.control, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(new URL(started.control).port, '0');
      assert.match(started.api, /^http:\/\/127\.0\.0\.1:\d+/);
      assert.notEqual(new URL(started.api).port, '0');

      const controlFile = join(home, 'control.json');
      assert.equal(statSync(controlFile).mode & 0o777, 0o600);
      const control = JSON.parse(readFileSync(controlFile, 'utf8'));
      assert.equal(control.url, started.control);
      assert.equal(control.pid, child.pid);
      assert.equal(typeof control.token, 'string');
      assert.ok(control.token.length >= 20);

      const status = await get(`${control.url}/status`, { authorization: `Bearer ${control.token}` });
      assert.equal(status.status, 200, status.body);
      const s = JSON.parse(status.body);
      assert.equal(s.did, started.did);
      assert.equal(s.peerId, started.peerId);
      assert.deepEqual(s.addresses, started.addresses);
      const actor = await get(`${control.url}/actor`, { authorization: `Bearer ${control.token}` });
      assert.equal(actor.status, 200);
      assert.equal(JSON.parse(actor.body).id, started.actor);
      assert.deepEqual(JSON.parse(actor.body).endpoints.kithPeers, started.addresses, 'the actor document lists the peer addresses');

      assert.equal((await get(`${control.url}/status`, {})).status, 401);
      assert.equal((await get(`${control.url}/status`, { authorization: `Bearer ${control.token}x` })).status, 401);
      assert.equal((await get(`${control.url}/status`, { authorization: control.token })).status, 401);

      assert.ok(child.kill('SIGTERM'));
      const end = await withTimeout(exited, 'start to stop after SIGTERM');
      assert.deepEqual(end, { code: 0, signal: null }, stderr);
      assert.equal(existsSync(controlFile), false, 'control.json is removed on stop');
      // The identity it created stays.
      assert.equal((await ok(['whoami'], { home })).did, started.did);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${TIMEOUT_MS} ms waiting for ${what}`)), TIMEOUT_MS);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** The first JSON document a running command prints (pretty-printed, so it may span chunks). */
function firstJson(child: ChildProcess, stderr: () => string): Promise<any> {
  return withTimeout(
    new Promise((resolve, reject) => {
      let out = '';
      const onData = (d: string) => {
        out += d;
        // `start --json` prints one pretty-printed object whose closing brace is alone on a line.
        const end = out.indexOf('\n}\n');
        if (end < 0) return;
        child.stdout!.off('data', onData);
        try {
          resolve(JSON.parse(out.slice(0, end + 2)));
        } catch (e) {
          reject(e);
        }
      };
      child.stdout!.setEncoding('utf8').on('data', onData);
      child.once('exit', (code) => reject(new Error(`start exited (${code}) before printing JSON\nstdout: ${out}\nstderr: ${stderr()}`)));
    }),
    'the first JSON output of start',
  );
}

function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return withTimeout(
    new Promise((resolve, reject) => {
      const req = request(url, { method: 'GET', headers }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    }),
    `GET ${url}`,
  );
}

describe('kith command refusals that protect the node', () => {
  test('export will not write into the node home, and leaves no partial file when it cannot write', async () => {
    const { home } = await freshNode();
    const keyBefore = readFileSync(join(home, 'identity.key'));
    const inHome = await refused(['export', join(home, 'identity.key')], { home });
    assert.equal(inHome.code, 'conflict');
    assert.deepEqual(readFileSync(join(home, 'identity.key')), keyBefore);
    const missingDir = join(tmp(), 'no', 'such', 'dir', 'backup.kith');
    assert.equal((await refused(['export', missingDir], { home })).code, 'io');
    assert.equal(existsSync(missingDir), false);
    // Links are followed before deciding: neither a link to the key nor a link to the home lets a backup in.
    const links = tmp();
    symlinkSync(join(home, 'identity.key'), join(links, 'to-key.kith'));
    symlinkSync(home, join(links, 'home-folder'));
    symlinkSync(join(home, 'not-there-yet'), join(links, 'dangling.kith'));
    for (const through of [join(links, 'to-key.kith'), join(links, 'home-folder', 'backup.kith'), join(links, 'dangling.kith')]) {
      const r = await refused(['export', '--force', through], { home });
      assert.equal(r.code, 'conflict', through);
      assert.match(r.message, /inside the node's home/);
    }
    assert.deepEqual(readFileSync(join(home, 'identity.key')), keyBefore);
    assert.equal(existsSync(join(home, 'backup.kith')), false);
    assert.equal(existsSync(join(home, 'not-there-yet')), false);
    // An existing file is replaced only when asked, and then whole, by rename.
    const target = join(tmp(), 'backup.kith');
    writeFileSync(target, 'old');
    const kept = await refused(['export', target], { home });
    assert.equal(kept.code, 'conflict');
    assert.match(kept.message, /--force/);
    assert.equal(readFileSync(target, 'utf8'), 'old');
    const out = await ok(['export', '--force', target], { home });
    assert.equal(readFileSync(target).length, out.bytes);
    assert.equal(statSync(target).mode & 0o777, 0o600);
  });

  test('start refuses a control port already in use with a reason, and exits', async () => {
    const { home } = await freshNode();
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const e = await refused(['start', '--control-port', String(port), '--api-port', '0', '--port', '0', '--host', '127.0.0.1', '--no-mdns', '--no-relay'], {
        home,
      });
      assert.equal(e.code, 'io');
      assert.match(e.message, /already in use/);
      assert.equal(existsSync(join(home, 'control.json')), false);
    } finally {
      blocker.close();
    }
  });
});
