import { actorId } from '../core/apid.js';
import { htmlToText } from '../core/html-text.js';
import { contentWarningOf } from '../core/post-text.js';
import { isJsonObject, type Did, type JsonObject } from '../core/types.js';
import type { Store } from '../store/store.js';

/** How the CLI names people and shows posts: petnames first, warnings before what they warn of. */

/**
 * A person as the owner knows them: the petname they gave, else the name the
 * person chose (quoted and marked as theirs, since anyone may choose any
 * name), else the start of their key.
 */
export function personLabel(store: Store, did: Did): string {
  const petname = store.petnames.get(did)?.name;
  if (petname !== undefined) return petname;
  const actor = store.objects.byId(actorId(did));
  if (actor) {
    const name = (JSON.parse(actor.body) as JsonObject).name;
    if (typeof name === 'string' && name.trim() !== '') return `"${name.trim().slice(0, 60)}" (their name)`;
  }
  return `${did.slice(8, 20)}…`;
}

/** The text of a post, or its content warning in place of it unless `showSensitive`. */
export function postText(note: JsonObject, showSensitive: boolean): string {
  const text =
    isJsonObject(note.source) && typeof note.source.content === 'string'
      ? note.source.content
      : typeof note.content === 'string'
        ? htmlToText(note.content)
        : '';
  return withWarning(text, contentWarningOf(note), showSensitive);
}

/** The text as a list shows it: behind its warning unless asked for. */
export function withWarning(text: string, warning: string | null, showSensitive: boolean): string {
  if (warning === null) return text;
  return showSensitive ? `[CW: ${warning}] ${text}` : `[CW: ${warning}] (hidden; --show-sensitive shows it)`;
}

/** The post an activity is (a Note, or the Note a Create carries). */
export function noteOf(doc: JsonObject): JsonObject | undefined {
  const inner = doc.type === 'Create' ? doc.object : doc;
  return isJsonObject(inner) ? inner : undefined;
}
