import { generateKeyPair, sign, type Ed25519KeyPair } from '../src/core/ed25519.js';
import { pairMessage, sessionMessage, normalizePairingCode } from '../src/core/pairing.js';
import { kithJson } from './node-process.js';

/**
 * A paired device as a script sees the owner API: its own Ed25519 key (made
 * here, as a browser makes one with WebCrypto) and a bearer token.
 */

export interface ApiAnswer {
  status: number;
  body: any;
  headers: Headers;
}

export class DeviceClient {
  constructor(
    readonly base: string,
    readonly key: Ed25519KeyPair,
    public token: string | undefined,
    readonly id: string,
  ) {}

  get publicKey(): string {
    return Buffer.from(this.key.publicKey).toString('base64url');
  }

  call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> {
    return api(this.base, method, path, body, { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...headers });
  }

  /** Logs in again with the device key (a nonce signed), as the web app does when its session is gone. */
  async login(): Promise<ApiAnswer> {
    const ch = await api(this.base, 'GET', '/api/session/challenge');
    const r = await api(this.base, 'POST', '/api/session', {
      publicKey: this.publicKey,
      nonce: ch.body.nonce,
      signature: signText(this.key, sessionMessage(ch.body.nonce, this.publicKey)),
      bearer: true,
    });
    if (r.status === 200) this.token = r.body.token;
    return r;
  }
}

export function signText(key: Ed25519KeyPair, text: string): string {
  return Buffer.from(sign(key, Buffer.from(text))).toString('base64url');
}

/** The pairing request a device with this key sends for a code. */
export function pairRequest(key: Ed25519KeyPair, code: string, name = 'Test device'): Record<string, unknown> {
  const publicKey = Buffer.from(key.publicKey).toString('base64url');
  const c = normalizePairingCode(code);
  return { code: c, name, publicKey, signature: signText(key, pairMessage(c, publicKey)), bearer: true };
}

export async function api(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer> {
  const isBytes = body instanceof Uint8Array;
  const res = await fetch(base + path, {
    method,
    headers: { ...(body === undefined || isBytes ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: isBytes ? body : JSON.stringify(body) }),
  });
  const type = res.headers.get('content-type') ?? '';
  const out = type.startsWith('application/json') ? await res.json() : new Uint8Array(await res.arrayBuffer());
  return { status: res.status, body: out, headers: res.headers };
}

/** Asks the running node for a pairing code (`kith pair`) and pairs a new device with it. */
export async function pairDevice(home: string, base: string, name = 'Test device'): Promise<DeviceClient> {
  const offer = await kithJson(home, ['pair']);
  const key = generateKeyPair();
  const r = await api(base, 'POST', '/api/pair', pairRequest(key, offer.code, name));
  if (r.status !== 201) throw new Error(`pairing failed: ${r.status} ${JSON.stringify(r.body)}`);
  return new DeviceClient(base, key, r.body.token, r.body.device.id);
}
