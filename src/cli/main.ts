import { Command, Option } from 'commander';
import { createWriteStream, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { readContent } from '../node/media.js';
import { altTextOf, postFields } from '../node/publishing.js';
import { parseErisUrn } from '../core/eris-urn.js';
import { fail, isKithError, KithError } from '../core/errors.js';
import { phraseToSeed } from '../core/mnemonic.js';
import { isJsonObject, type JsonObject } from '../core/types.js';
import { isApId } from '../core/apid.js';
import { verifyDocument } from '../core/proof.js';
import { parseJsonLimited } from '../core/limits.js';
import { KithNode } from '../node/kith-node.js';
import { homePaths } from '../node/home.js';
import { exportBackup, importBackup } from '../node/backup.js';
import { checkProfileChange } from '../node/profile.js';
import { emit } from './output.js';
import { readInput, readPhrase, textArgument } from './read-input.js';
import { action, addPageCommand, identitySummary, withNode, withService, type Opts } from './common.js';
import { addInteractionCommands } from './interaction-commands.js';
import { addFollowerCommands } from './follower-commands.js';
import { addDmCommands } from './dm-commands.js';
import { addNodeCommands } from './node-commands.js';
import { addDeviceCommands } from './device-commands.js';
import { addAccountCommands } from './account-commands.js';
import { addProfileCommand } from './profile-command.js';
import { addSettingsCommand } from './settings-command.js';
import { addContentCommands } from './content-commands.js';
import { addNotificationsCommand } from './notifications-command.js';
import { addForumCommands } from './forum-commands.js';
import { kithCommand } from './command-name.js';
import { runningNode } from './control-client.js';

/** Size of a document `kith sign` / `kith verify` will read. */
const MAX_DOCUMENT_BYTES = 1024 * 1024;

/**
 * Content that is not all here. Without even its first block, a URN with one
 * character changed is the likely cause (it names other content, which
 * nobody has); with part of it, the rest is on a node that is not reachable.
 */
function missingContent(opts: Opts, urn: string, hasRoot: boolean, askedPeers: boolean, cause: KithError): KithError {
  const start = kithCommand('start', opts.home as string | undefined);
  const name = `${urn.slice(0, 30)}…`;
  if (!hasRoot) {
    return new KithError(
      'not-found',
      `this node does not hold all of ${name}: the block is not in this store and ` +
        (askedPeers ? 'no peer has it' : `no node is running to ask peers (start one with: ${start})`) +
        '. If the URN was typed or copied by hand, check it: one changed character names other content.',
    );
  }
  return new KithError(
    'not-found',
    `this node does not hold all of ${name}: ${cause.message}; ` +
      (askedPeers ? 'no peer reached had the missing blocks' : `start the node to fetch the rest from peers: ${start}`),
  );
}

function phraseLines(phrase: string): string[] {
  const words = phrase.split(' ');
  const rows: string[] = [];
  for (let i = 0; i < words.length; i += 6) {
    rows.push(
      '  ' +
        words
          .slice(i, i + 6)
          .map((w, j) => `${String(i + j + 1).padStart(2)}. ${w.padEnd(9)}`)
          .join(' '),
    );
  }
  return rows;
}

/**
 * Kith objects (an ap:// id) get every ingest check; any other Data
 * Integrity document (a verifiable credential, say) gets its proof checked.
 */
function verifyAny(node: KithNode, input: Buffer) {
  const doc = parseJsonLimited(input, node.ingestor.limits);
  if (isJsonObject(doc) && !isApId(doc.id) && !String(doc.type).startsWith('Kith')) {
    return { kind: 'proof' as const, result: verifyDocument(doc) };
  }
  return { kind: 'object' as const, result: node.check(doc as JsonObject) };
}

export function buildCli(): Command {
  const program = new Command('kith')
    .description('Kith: your identity and posts, on your own node, shared peer to peer')
    .addOption(new Option('--home <dir>', 'node home folder').env('KITH_HOME'))
    .option('--json', 'print JSON for scripts')
    .showHelpAfterError();

  program
    .command('init')
    .description('create your identity (an Ed25519 key) and show its recovery phrase')
    .option('--recover', 'restore an identity from its 24-word recovery phrase')
    .option('--phrase-file <file>', 'read the recovery phrase from a file ("-" for standard input)')
    .option('--name <name>', 'display name for your profile')
    .action(
      action(async (_args, opts) => {
        // A phrase file is only ever given to restore: never ignore it and make a new identity instead.
        const recover = Boolean(opts.recover) || opts.phraseFile !== undefined;
        const seed = recover ? phraseToSeed(await readPhrase(opts.phraseFile as string | undefined)) : undefined;
        const name = opts.name === undefined ? undefined : checkProfileChange({ name: String(opts.name) }).name;
        const profile = name ? { name } : {};
        const { node, phrase } = KithNode.init(opts.home as string | undefined, { seed, profile });
        try {
          const summary = identitySummary(node);
          emit(opts, { ok: true, ...summary, recovered: Boolean(seed), ...(seed ? {} : { recoveryPhrase: phrase }) }, () =>
            seed
              ? [`Restored your identity.`, `  DID          ${node.did}`, `  fingerprint  ${node.fingerprint}`]
              : [
                  `Created your identity.`,
                  `  DID          ${node.did}`,
                  `  actor        ${node.actorId}`,
                  `  fingerprint  ${node.fingerprint}`,
                  `  home         ${node.home.root}`,
                  ``,
                  `Your recovery phrase. Write it down and keep it offline: anyone with it is you.`,
                  ...phraseLines(phrase),
                  ``,
                  `Restore it anywhere with: ${kithCommand('init --recover')}`,
                  ...(opts.name === undefined
                    ? [`Give it a display name with: ${kithCommand('profile --name "Your Name"', opts.home as string | undefined)}`]
                    : []),
                ],
          );
        } finally {
          node.close();
        }
      }),
    );

  program
    .command('whoami')
    .description('show your DID, actor id and key fingerprint')
    .action(
      action((_args, opts) =>
        withNode(opts, (node) => {
          const s = identitySummary(node);
          emit(opts, s, () => [`DID          ${s.did}`, `actor        ${s.actor}`, `fingerprint  ${s.fingerprint}`, `home         ${s.home}`]);
        }),
      ),
    );

  program
    .command('phrase')
    .description('show the recovery phrase of your identity (keep it secret)')
    .action(
      action((_args, opts) =>
        withNode(opts, (node) => {
          const phrase = node.recoveryPhrase();
          emit(opts, { recoveryPhrase: phrase }, () => ['Your recovery phrase (anyone with it is you):', ...phraseLines(phrase)]);
        }),
      ),
    );

  program
    .command('post')
    .description('sign a note into your outbox: public, or for your followers only (--followers)')
    .argument('<text>', 'what to say, or - to read it from standard input')
    .option('--reply-to <ap-id>', 'the post this one answers')
    .option('--attach <file...>', 'attach files (stored encrypted as ERIS; the post carries their read capability)')
    .option('--alt <text...>', 'a description of each attached image, in the order of --attach (alt text, for people who cannot see it)')
    .option('--cw <text>', 'a content warning: readers see it, and open the post to read it')
    .option('--sensitive', 'hide the post (its images) behind a warning even without warning text')
    .option('--followers', 'followers only: sealed, readable by approved followers alone (hosts keep ciphertext)')
    .action(
      action(async ([given = ''], opts) => {
        const text = textArgument(given, 'the post');
        const input = {
          text,
          ...(opts.followers === true ? { visibility: 'followers' as const } : {}),
          inReplyTo: opts.replyTo === undefined ? undefined : String(opts.replyTo),
          ...(opts.cw !== undefined ? { summary: String(opts.cw) } : {}),
          ...(opts.sensitive === true ? { sensitive: true } : {}),
        };
        const files = (opts.attach as string[] | undefined) ?? [];
        const alts = (opts.alt as string[] | undefined) ?? [];
        if (alts.length > files.length)
          fail('malformed', `${alts.length} descriptions (--alt) for ${files.length} attached files (--attach): give one per file, in order`);
        // Refused by the node's own rules before any file is stored for it.
        alts.forEach((alt, i) => altTextOf(alt, i));
        postFields(input);
        // The blocks go straight into the store (the running node, if any, shares it); the post names them.
        const stored = files.length === 0 ? undefined : await withService(opts, (s) => Promise.all(files.map((f) => s.media.attachFile(f))));
        const attachment = stored?.map((a, i) => (alts[i] === undefined ? a : { ...a, name: alts[i] }));
        // A running node signs it and pushes it live to followers; otherwise it waits in the store for the next sync.
        const running = await runningNode(homePaths(opts.home as string | undefined));
        const r = running
          ? await running.call('POST /post', { ...input, attachment })
          : await withService(opts, (s) => s.publishing.post({ ...input, attachment }));
        emit(opts, { ok: true, ...r, ...(attachment ? { attachment } : {}) }, () => [
          `Posted ${r.noteId}${opts.followers === true ? ' (followers only)' : ''}`,
          ...(attachment ?? []).map((a) => `  attached ${String(a.name)} (${String(a.mediaType)}, ${String(a.size)} bytes) ${String(a.url)}`),
          `  activity ${r.id}`,
          `  digest   ${r.digest}`,
          running ? `  pushed live to ${r.pushedTo} peer(s)` : '  (node not running: followers get it at the next sync)',
        ]);
      }),
    );

  program
    .command('fetch')
    .description('read content by its urn:eris: read capability, to a file or standard output')
    .argument('<urn>')
    .option('-o, --output <file>', 'write here instead of standard output')
    .action(
      action(async ([urn = ''], opts) => {
        const root = parseErisUrn(urn).rootReference;
        // What this node lacks, a running node fetches from peers first (those who pinned it, found by DHT).
        const running = await runningNode(homePaths(opts.home as string | undefined));
        if (running) {
          try {
            await running.call('POST /fetch', { urn });
          } catch (e) {
            if (!isKithError(e, 'not-found')) throw e;
            throw missingContent(opts, urn, await withNode(opts, (node) => node.store.blocks.has(root)), true, e);
          }
        }
        await withNode(opts, async (node) => {
          const out = opts.output ? String(opts.output) : undefined;
          const sink = out ? createWriteStream(out, { mode: 0o600 }) : process.stdout;
          let bytes = 0;
          try {
            for await (const chunk of readContent(node.store, urn)) {
              bytes += chunk.length;
              if (!sink.write(chunk)) await once(sink, 'drain');
            }
          } catch (e) {
            if (out) sink.destroy();
            throw isKithError(e, 'not-found') ? missingContent(opts, urn, node.store.blocks.has(root), running !== undefined, e) : e;
          }
          if (out) {
            await new Promise<void>((resolve, reject) => sink.end((err?: Error | null) => (err ? reject(err) : resolve())));
            emit(opts, { ok: true, urn, output: out, bytes }, () => `Wrote ${bytes} bytes to ${out}`);
          }
        });
      }),
    );

  addPageCommand(
    program,
    'outbox',
    'list your posts, newest first',
    (node, page) => node.outbox(page),
    (home) => `Your outbox is empty. Post with: ${kithCommand('post "hello"', home)}`,
  );

  program
    .command('show')
    .description('print a stored object by its ap:// id')
    .argument('<ap-id>')
    .action(
      action(([id = ''], opts) =>
        withNode(opts, (node) => {
          const obj = node.show(id);
          if (!obj) fail('not-found', `no object ${id} in this node's store`);
          process.stdout.write(JSON.stringify(obj, null, 2) + '\n');
        }),
      ),
    );

  program
    .command('sign')
    .description('sign a JSON document with your key (eddsa-jcs-2022) and print it')
    .argument('<file>', 'JSON file, or - for standard input')
    .option('-o, --output <file>', 'write the signed document here instead of standard output')
    .action(
      action(([file = ''], opts) =>
        withNode(opts, (node) => {
          const doc = parseJsonLimited(readInput(file, MAX_DOCUMENT_BYTES), { ...node.ingestor.limits, maxObjectBytes: MAX_DOCUMENT_BYTES });
          if (!isJsonObject(doc)) fail('malformed', 'only a JSON object can be signed');
          const signed = JSON.stringify(node.sign(doc), null, 2) + '\n';
          if (opts.output) {
            writeFileSync(String(opts.output), signed);
            emit(opts, { ok: true, output: opts.output }, () => `Signed into ${String(opts.output)}`);
          } else process.stdout.write(signed);
        }),
      ),
    );

  program
    .command('verify')
    .description('check a signed object: proof, shape and authority; exit 0 only if valid')
    .argument('<file>', 'JSON file, or - for standard input')
    .action(
      action(([file = ''], opts) =>
        withNode(opts, (node) => {
          const input = readInput(file, node.ingestor.limits.maxObjectBytes);
          let verdict;
          try {
            verdict = verifyAny(node, input);
          } catch (e) {
            if (!(e instanceof KithError)) throw e;
            emit(opts, { valid: false, code: e.code, reason: e.message }, () => `INVALID: ${e.message}`);
            process.exitCode = 1;
            return;
          }
          if (verdict.kind === 'proof') {
            const v = verdict.result;
            emit(opts, { valid: true, proofOnly: true, signer: v.signer, digest: v.digest }, () => [
              `VALID proof by ${v.signer}`,
              '  (not a Kith object: it has no ap:// id, so only the proof was checked)',
            ]);
            return;
          }
          const v = verdict.result;
          emit(opts, { valid: true, ...v }, () => [`VALID ${v.type} ${v.id}`, `  signed by ${v.signer}`]);
        }),
      ),
    );

  program
    .command('export')
    .description('write a signed, portable backup of your objects and of your own files (photos, avatar, sealed objects)')
    .argument('<file>')
    .option('--no-media', 'leave your files out: objects only (a much smaller backup; the files cannot be restored from it)')
    .option('--force', 'replace the file if it already exists')
    .action(
      action(([file = ''], opts) =>
        withNode(opts, (node) => {
          const s = exportBackup(node, file, { media: opts.media !== false, force: opts.force === true });
          emit(opts, { ok: true, file, ...s }, () =>
            opts.media === false
              ? `Exported ${s.objects} objects, without files (--no-media), ${s.bytes} bytes, to ${file}`
              : `Exported ${s.objects} objects and ${s.files} files (${s.blocks} blocks), ${s.bytes} bytes, to ${file}`,
          );
        }),
      ),
    );

  program
    .command('import')
    .description('restore your objects and files from your backup; all of it is checked first, and it lands whole or not at all')
    .argument('<file>')
    .action(
      action(([file = ''], opts) =>
        withNode(opts, async (node) => {
          const s = await importBackup(node, file);
          emit(opts, { ok: true, file, ...s }, () => [
            `Imported ${s.objects} objects of ${s.actor}: ${s.stored} new, ${s.duplicates} already here` +
              (s.deleted > 0 ? `, ${s.deleted} of posts deleted since (left out)` : ''),
            `  and ${s.files} files (${s.blocks} blocks, ${s.blocksStored} of them new here)`,
            ...(s.profileRestored.length > 0 ? [`  your profile's ${s.profileRestored.join(', ')} came back from the backup`] : []),
            ...(s.followersRestored > 0 ? [`  ${s.followersRestored} follower(s) came back from your answers to their requests`] : []),
          ]);
        }),
      ),
    );

  addProfileCommand(program);
  addNodeCommands(program);
  addInteractionCommands(program);
  addFollowerCommands(program);
  addDmCommands(program);
  addDeviceCommands(program);
  addAccountCommands(program);
  addSettingsCommand(program);
  addContentCommands(program);
  addNotificationsCommand(program);
  addForumCommands(program);

  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildCli().parseAsync(argv);
}
