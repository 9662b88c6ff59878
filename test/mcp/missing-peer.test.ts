import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = new URL('../../', import.meta.url);
const hide = new URL('../packaging/fixtures/hide-packages.cjs', import.meta.url).pathname;
const entry = JSON.stringify(new URL('src/mcp/index.ts', repo).href);

describe('rx-orchestra/mcp without @modelcontextprotocol/sdk', () => {
  it('imports fine; mcpTools() throws MissingPeerError naming the package to install', async () => {
    const code = `
      const { mcpTools } = await import(${entry});
      try { mcpTools({ command: 'node', args: ['server.js'] }); console.log('no error'); }
      catch (error) { console.log(JSON.stringify({ name: error.name, code: error.code, packageName: error.packageName, message: error.message })); }`;
    const { stdout } = await run(process.execPath, ['--require', hide, '--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: new URL('.', repo),
      env: { ...process.env, RXO_HIDE: '@modelcontextprotocol/sdk' },
    });
    const out = JSON.parse(stdout.trim());
    expect(out).toMatchObject({ name: 'MissingPeerError', code: 'MISSING_PEER', packageName: '@modelcontextprotocol/sdk' });
    expect(out.message).toBe("mcpTools() of rx-orchestra/mcp needs the package '@modelcontextprotocol/sdk', which is not installed: run npm install @modelcontextprotocol/sdk");
  });
});
