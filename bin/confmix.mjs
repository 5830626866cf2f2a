#!/usr/bin/env node
// The confmix command: runs the compiled CLI (npm run build writes dist/).
await import('../dist/cli.js');
