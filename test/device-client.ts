import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
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
    readonly key: { publicKey: KeyObject; privateKey: KeyObject },
    public token: string | undefined,
    readonly id: string,
  ) {}

  get publicKey(): string {
    return rawPublicKey(this.key.publicKey);
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
      signature: signText(this.key.privateKey, sessionMessage(ch.body.nonce, this.publicKey)),
      bearer: true,
    });
    if (r.status === 200) this.token = r.body.token;
    return r;
  }
}

export function newDeviceKey(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

export function rawPublicKey(k: KeyObject): string {
  return Buffer.from(k.export({ format: 'jwk' }).x!, 'base64url').toString('base64url');
}

export function signText(k: KeyObject, text: string): string {
  return sign(null, Buffer.from(text), k).toString('base64url');
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
  const key = newDeviceKey();
  const publicKey = rawPublicKey(key.publicKey);
  const code = normalizePairingCode(offer.code);
  const r = await api(base, 'POST', '/api/pair', { code, name, publicKey, signature: signText(key.privateKey, pairMessage(code, publicKey)), bearer: true });
  if (r.status !== 201) throw new Error(`pairing failed: ${r.status} ${JSON.stringify(r.body)}`);
  return new DeviceClient(base, key, r.body.token, r.body.device.id);
}
