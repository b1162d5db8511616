import type { Command } from 'commander';
import { homePaths } from '../node/home.js';
import { checkProfileChange, checkProfileImageFile, profileView, storeProfileImage, type ImageView, type ProfileView } from '../node/profile.js';
import type { ProfileInput } from '../node/publishing.js';
import { emit } from './output.js';
import { action, withNode, withService, type Opts } from './common.js';
import { runningNode } from './control-client.js';
import { kithCommand } from './command-name.js';
import { textArgument } from './read-input.js';

/** `kith profile`: shows the profile, or signs a new version of it; with a running node, through it, so followers get it live. */

function imageLine(i: ImageView | null): string {
  return i === null ? '(none)' : `${i.mediaType}${i.size === null ? '' : `, ${i.size} bytes`} ${i.url}`;
}

function lines(p: ProfileView, home: string | undefined, indent = ''): string[] {
  const rows = [
    `name         ${p.name ?? '(none)'}`,
    `summary      ${p.summary === null ? '(none)' : p.summary.replace(/\n/g, `\n${indent}             `)}`,
    `avatar       ${imageLine(p.icon)}`,
    `header       ${imageLine(p.image)}`,
    `DID          ${p.did}`,
  ].map((l) => indent + l);
  return [...rows, ...(p.name === null ? ['', `Set a display name with: ${kithCommand('profile --name "Your Name"', home)}`] : [])];
}

export function addProfileCommand(program: Command): void {
  program
    .command('profile')
    .description('show your profile, or change its display name, summary, avatar or header image')
    .option('--name <name>', 'the name others see ("" removes it)')
    .option('--summary <text>', 'a few words about you ("" removes it, - reads standard input)')
    .option('--avatar <file>', 'an image shown beside your name ("" removes it)')
    .option('--header <file>', 'a wide image shown above your profile ("" removes it)')
    .action(
      action(async (_args, opts: Opts) => {
        const home = opts.home as string | undefined;
        const text: { name?: string; summary?: string } = {};
        if (opts.name !== undefined) text.name = String(opts.name);
        if (opts.summary !== undefined) text.summary = textArgument(String(opts.summary), 'a few words about you');
        // Name and summary are checked before the avatar's blocks are stored, so a refusal leaves the store as it was.
        checkProfileChange(text);
        // Both files are checked before either is stored, so a refusal stores no block.
        const checked = (file: unknown, what: string) => (file === '' || file === undefined ? file : checkProfileImageFile(String(file), what));
        const avatarFile = checked(opts.avatar, 'an avatar');
        const headerFile = checked(opts.header, 'a header');
        const image = async (file: typeof avatarFile) =>
          file === '' ? null : file === undefined ? undefined : await withNode(opts, (node) => storeProfileImage(node.store, file));
        const icon = await image(avatarFile);
        const header = await image(headerFile);
        const fields: ProfileInput = { ...text, ...(icon !== undefined ? { icon } : {}), ...(header !== undefined ? { image: header } : {}) };
        if (Object.keys(fields).length === 0) {
          const shown = await withNode(opts, (node) => profileView(node));
          emit(opts, shown, () => lines(shown, home));
          return;
        }
        // The avatar's blocks are in the store either way (a running node shares it); the actor names them.
        const running = await runningNode(homePaths(home));
        const { profile: updated } = running ? await running.call('POST /profile', fields) : await withService(opts, (s) => s.publishing.updateProfile(fields));
        emit(opts, { ok: true, ...updated, pushed: running !== undefined }, () => [
          running ? 'Profile updated and sent to your followers.' : 'Profile updated; followers get it when the node runs.',
          ...lines(updated, home, '  '),
        ]);
      }),
    );
}
