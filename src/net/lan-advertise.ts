import BonjourModule from 'bonjour-service';

/**
 * Tells devices on the local network where the owner's web app is: an
 * mDNS/DNS-SD service `_kith._tcp` (and `_http._tcp`, which browsers and
 * network tools list) with the port and path. Phones and laptops on the same
 * Wi-Fi find the node without anyone typing an address.
 */

export interface LanAdvertisement {
  stop(): Promise<void>;
}

export interface AdvertiseOptions {
  /** The instance name people see, like "Kith (alice)". */
  readonly name: string;
  readonly port: number;
  /** The node's DID, so a device can tell whose node it found. */
  readonly did: string;
}

export function advertiseWebApp(opts: AdvertiseOptions): LanAdvertisement {
  const bonjour = new BonjourModule.Bonjour();
  const txt = { path: '/', did: opts.did, api: '/api/openapi.json' };
  bonjour.publish({ name: opts.name, type: 'kith', port: opts.port, txt });
  bonjour.publish({ name: opts.name, type: 'http', port: opts.port, txt });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        bonjour.unpublishAll(() => {
          bonjour.destroy();
          resolve();
        });
      }),
  };
}
