import { fail } from '../core/errors.js';
import { MAX_PETNAME_CHARS } from '../core/constants.js';
import type { Did } from '../core/types.js';
import type { Petname } from '../store/petnames.js';
import type { Store } from '../store/store.js';
import type { KithNode } from './kith-node.js';
import { personOf } from './people.js';

/**
 * Petnames (DESIGN, principle 2): a name the owner gives a key, shown instead
 * of the raw DID, and before the name the person gave themselves (which
 * anyone can choose, including someone posing as a friend).
 *
 * Each name names one key: the table refuses a name already given to another
 * key, compared without case and in one Unicode form. A petname is the
 * owner's way to tell people apart and to write `@Mum` in a post; one that
 * could stand for two keys would do neither, and would let the app show two
 * people as one.
 */

/** Control and formatting characters (bidi overrides, zero-width joiners) that would make a name look like another. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** How names are compared: "MUM", "Mum" and "mum" are one name. */
export function foldPetname(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}

/** A petname as it is kept: one line of visible text, trimmed, within its cap. Throws the reason otherwise. */
export function checkPetname(input: unknown): { name: string; folded: string } {
  if (typeof input !== 'string') fail('malformed', 'a petname must be text');
  const name = input.normalize('NFC').trim();
  if (name.length === 0) fail('malformed', 'a petname needs at least one letter or digit; to take one away, remove it');
  if (name.length > MAX_PETNAME_CHARS) fail('malformed', `a petname is at most ${MAX_PETNAME_CHARS} characters; this one has ${name.length}`);
  if (INVISIBLE.test(name)) fail('malformed', 'a petname is one line of visible text: no line breaks, control or invisible formatting characters');
  if (/^[@#]/.test(name)) fail('malformed', `a petname does not start with "${name[0]}": in a post, @${name.slice(1)} would read as a mention or a hashtag`);
  if (/^(did|ap|https?):/i.test(name)) fail('malformed', 'a petname cannot look like a DID or an address: it would pass for one');
  return { name, folded: foldPetname(name) };
}

/** The key a one-word `@petname` in a post names, if the owner gave that name to one. */
export function petnameTarget(store: Store, handle: string): Did | undefined {
  return store.petnames.byName(foldPetname(handle))?.did;
}

export interface PetnameSet {
  readonly did: Did;
  readonly name: string;
  /** The name it had before, or null. */
  readonly previous: string | null;
}

export class Petnames {
  constructor(
    private readonly node: KithNode,
    private readonly now: () => number = Date.now,
  ) {}

  /** Gives a key (a did:key or an ap:// id of theirs) a petname, or renames it. */
  set(target: string, name: string): PetnameSet {
    const did = personOf(target);
    if (did === this.node.did) fail('conflict', 'a petname is for other people; your own name is your profile name');
    const checked = checkPetname(name);
    const store = this.node.store;
    return store.transaction(() => {
      const holder = store.petnames.byName(checked.folded);
      if (holder !== undefined && holder.did !== did) {
        fail('conflict', `"${holder.name}" is already your petname for ${holder.did}; a name points at one key, so remove or rename that one first`);
      }
      const previous = store.petnames.get(did)?.name ?? null;
      store.petnames.set(did, checked.name, checked.folded, this.now());
      return { did, name: checked.name, previous };
    });
  }

  remove(target: string): { did: Did; removed: boolean } {
    const did = personOf(target);
    return { did, removed: this.node.store.petnames.remove(did) };
  }

  get(target: string): Petname | undefined {
    return this.node.store.petnames.get(personOf(target));
  }

  list(): Petname[] {
    return this.node.store.petnames.list();
  }
}
