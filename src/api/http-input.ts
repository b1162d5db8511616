import type { Context } from 'hono';
import { fail } from '../core/errors.js';
import { MAX_REQUEST_JSON_BYTES } from '../core/constants.js';
import { isDigest } from '../core/bytes.js';
import { isJsonObject, type JsonObject } from '../core/types.js';
import type { Page, StoredObject } from '../store/objects.js';
import type { AuthVariables } from './owner-auth.js';

/** Reading requests to the owner API: bodies within limits, JSON objects, pages, path parameters. */

export type C = Context<{ Variables: AuthVariables }>;

export async function jsonBody(c: C): Promise<JsonObject> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(json|activity\+json|ld\+json)\b/.test(type)) fail('malformed', 'send the request body as JSON (content-type: application/json)');
  const bytes = await limitedBody(c, MAX_REQUEST_JSON_BYTES);
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return fail('malformed', 'the request body is not valid JSON');
  }
  if (!isJsonObject(v)) fail('malformed', 'the request body must be a JSON object');
  return v;
}

/** Reads the body, refusing it as soon as it passes the limit (before buffering the rest). */
export async function limitedBody(c: C, max: number): Promise<Uint8Array> {
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (declared > max) fail('too-large', `the request body is ${declared} bytes; the limit is ${max}`);
  const reader = c.req.raw.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      fail('too-large', `the request body is over the limit of ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** Items on a page when the request does not say, and the most it may ask for. */
const DEFAULT_PAGE_ITEMS = 20;
const MAX_PAGE_ITEMS = 50;

export function pageOf(c: C): Page {
  const limitRaw = c.req.query('limit');
  const limit = limitRaw === undefined ? DEFAULT_PAGE_ITEMS : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_ITEMS) fail('malformed', `limit must be a whole number from 1 to ${MAX_PAGE_ITEMS}`);
  const before = c.req.query('before');
  if (before === undefined || before === '') return { limit };
  const m = /^(-?\d{1,16})\.([0-9a-f]{64})$/.exec(before);
  if (!m || !isDigest(m[2])) fail('malformed', 'before must be the "next" value of a previous page');
  return { limit, before: { created: Number(m[1]), digest: m[2] } };
}

export function nextOf(rows: readonly StoredObject[], page: Page): string | null {
  const last = rows[rows.length - 1];
  return rows.length === page.limit && last ? `${last.created}.${last.digest}` : null;
}

/** Percent-decoding that refuses malformed input instead of throwing a URIError (a 500). */
export function decoded(v: string, field: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return fail('malformed', `${field} is not properly percent-encoded`);
  }
}

/** A path parameter, percent-decoded. */
export function pathParam(c: C, name: string): string {
  return decoded(c.req.param(name) ?? '', name);
}
