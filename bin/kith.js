#!/usr/bin/env -S node --max-semi-space-size=4
// The `kith` command. Polyfills first: libp2p on Node 20 needs them before it loads.
// The flag above (and in `npm start`) is for an old phone: a smaller young generation keeps a
// running node about 15 MB smaller, for a few per cent of ingest speed.
await import('../dist/src/cli/polyfills.js');
const { main } = await import('../dist/src/cli/main.js');
await main(process.argv);
