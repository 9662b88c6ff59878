#!/usr/bin/env node
/* global process, URL */
/**
 * The `rx-orchestra` launcher. In the repository (src/cli/main.ts is next to this file) it runs the
 * TypeScript source through tsx, so no build is needed; installed from npm, it runs the compiled
 * dist/src/cli/main.js (TypeScript pipelines then load through tsx if the project has it).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// A closed pipe (`rx-orchestra run x | head`) ends the CLI as SIGPIPE ends other tools: quietly, 141.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(141);
    throw error;
  });
}

const source = new URL('./main.ts', import.meta.url);
let cli;
let typescript = 'auto';
if (existsSync(fileURLToPath(source))) {
  const { register } = await import('tsx/esm/api');
  register();
  typescript = 'registered';
  cli = await import(source.href);
} else {
  cli = await import(new URL('../../dist/src/cli/main.js', import.meta.url).href);
}
const code = await cli.main(process.argv.slice(2), { typescript });
// Exit once the output is out: a finished run may leave idle timers (quota windows) behind.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit(code);
