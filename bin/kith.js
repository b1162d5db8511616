#!/usr/bin/env node
// The `kith` command. Polyfills first: libp2p on Node 20 needs them before it loads.
import '../dist/src/cli/polyfills.js';
const { main } = await import('../dist/src/cli/main.js');
await main(process.argv);
