import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import BonjourModule from 'bonjour-service';
import { advertiseWebApp } from '../src/net/lan-advertise.js';

/** A device on the same network finds the web app by mDNS/DNS-SD, with whose node it is. */
test('the web app is advertised on the local network as _kith._tcp and _http._tcp', { timeout: 30_000 }, async () => {
  const did = `did:key:z6Mk${randomBytes(8).toString('hex')}`;
  const ad = advertiseWebApp({ name: `Kith test ${did.slice(-6)}`, port: 17420, did });
  const browser = new BonjourModule.Bonjour();
  try {
    for (const type of ['kith', 'http']) {
      const found = await new Promise<{ port: number; txt: Record<string, string> }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no _${type}._tcp service for ${did} within 15 s`)), 15_000);
        const b = browser.find({ type }, (s) => {
          if ((s.txt as Record<string, string> | undefined)?.did !== did) return;
          clearTimeout(timer);
          b.stop();
          resolve({ port: s.port, txt: s.txt as Record<string, string> });
        });
      });
      assert.equal(found.port, 17420);
      assert.equal(found.txt.path, '/');
    }
  } finally {
    await ad.stop();
    browser.destroy();
  }
});
