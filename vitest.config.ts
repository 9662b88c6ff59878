import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^rx-orchestra\/operators$/, replacement: here('./operators/index.ts') },
      { find: /^rx-orchestra\/testing$/, replacement: here('./src/testing/index.ts') },
      { find: /^rx-orchestra\/patterns$/, replacement: here('./src/patterns/index.ts') },
      { find: /^rx-orchestra\/observe$/, replacement: here('./src/observe/index.ts') },
      { find: /^rx-orchestra\/store$/, replacement: here('./src/store/index.ts') },
      { find: /^rx-orchestra\/distributed$/, replacement: here('./src/distributed/index.ts') },
      { find: /^rx-orchestra\/ui$/, replacement: here('./src/ui/index.ts') },
      { find: /^rx-orchestra\/mcp$/, replacement: here('./src/mcp/index.ts') },
      { find: /^rx-orchestra$/, replacement: here('./src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Virtual time keeps tests fast; the margin is for a busy 2-core machine, not for sleeping.
    testTimeout: 30_000,
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
