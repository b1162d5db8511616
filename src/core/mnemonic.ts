import { entropyToMnemonic, mnemonicToEntropy, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { fail } from './errors.js';
import { SEED_LENGTH } from './ed25519.js';

/**
 * The recovery phrase: the 32-byte Ed25519 seed itself as 24 BIP-39 English
 * words (256 bits plus an 8-bit checksum). No key derivation in between, so
 * the phrase restores exactly the same did:key anywhere.
 */
export function seedToPhrase(seed: Uint8Array): string {
  if (seed.length !== SEED_LENGTH) fail('bad-encoding', 'a seed is 32 bytes');
  return entropyToMnemonic(seed, wordlist);
}

export function phraseToSeed(phrase: string): Uint8Array {
  const normalised = phrase.normalize('NFKD').trim().toLowerCase().split(/\s+/).join(' ');
  const words = normalised.split(' ').length;
  if (words !== 24) fail('malformed', `a Kith recovery phrase has 24 words; this one has ${words}`);
  if (!validateMnemonic(normalised, wordlist)) {
    fail('bad-encoding', 'the recovery phrase has a word that is not in the BIP-39 list, or its checksum is wrong; check for typos');
  }
  return mnemonicToEntropy(normalised, wordlist);
}
