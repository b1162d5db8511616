import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import BonjourModule from 'bonjour-service';
import { advertiseWebApp } from '../src/net/lan-advertise.js';

/** A device on the same network finds the web app by mDNS/DNS-SD, with whose node it is. */
test('the web app is advertised on the local network as _kith._tcp and _http._tcp', { timeout: 30_000 }, async () => {
  const did = `did:key:z6Mk${randomBytes(8).toString('hex')}`;
  // The advertised port is one this test holds, so the advertisement never points at someone else's server.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const ad = advertiseWebApp({ name: `Kith test ${did.slice(-6)}`, port, did });
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
      assert.equal(found.port, port);
      assert.equal(found.txt.path, '/');
    }
  } finally {
    await ad.stop();
    browser.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
