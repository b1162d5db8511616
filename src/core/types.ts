/** Nominal types: a Did is not just any string, and the compiler should know. */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** `did:key:z6Mk…` */
export type Did = Brand<string, 'Did'>;
/** A canonical FEP-ef61 portable id, `ap://did:key:z6Mk…/path`. */
export type ApId = Brand<string, 'ApId'>;
/** Lower-case hex SHA-256 of an object's JCS bytes: identifies one version. */
export type Digest = Brand<string, 'Digest'>;
/** A `did:key:z6Mk…#z6Mk…` DID URL naming a verification key. */
export type VerificationMethodId = Brand<string, 'VerificationMethodId'>;

/** A JSON value as it comes out of JSON.parse. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
