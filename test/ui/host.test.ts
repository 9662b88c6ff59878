/**
 * Where the dashboard listens: only on this machine. A non-loopback host (`0.0.0.0`, a LAN address)
 * is refused with a typed error, from the command line and from `startDashboard`, instead of being
 * silently ignored; a loopback host is honoured.
 */
import { request } from 'node:http';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { startDashboard } from 'rx-orchestra/ui';
import { isOptionsError, type RunEvent } from 'rx-orchestra';
import { parseCommandLine } from '../../src/cli/args.js';
import { isCliError } from '../../src/cli/errors.js';

const refusal = async (host: string): Promise<unknown> => {
  try {
    const dashboard = await startDashboard({ events$: new Subject<RunEvent>(), host });
    await dashboard.close();
    return 'listening';
  } catch (error) {
    return error;
  }
};

describe('--ui-host', () => {
  it('refuses a host beyond this machine with a usage error naming the flag', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'example.com']) {
      let caught: unknown;
      try {
        parseCommandLine(['run', 'pipeline.ts', '--ui', '--ui-host', host]);
      } catch (error) {
        caught = error;
      }
      expect(isCliError(caught), host).toBe(true);
      expect(caught).toMatchObject({ code: 'USAGE', message: expect.stringContaining(`--ui-host '${host}'`) });
      expect((caught as Error).message).toContain('loopback');
    }
  });

  it('takes a loopback host', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1']) {
      expect(parseCommandLine(['run', 'pipeline.ts', '--ui', '--ui-host', host])).toMatchObject({ kind: 'run', options: { uiHost: host } });
    }
  });
});

describe("startDashboard's host", () => {
  it('refuses a host beyond this machine with a dashboard OptionsError naming the field', async () => {
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'my-laptop.local']) {
      const error = await refusal(host);
      expect(isOptionsError(error, 'dashboard'), host).toBe(true);
      expect(error).toMatchObject({ code: 'INVALID_DASHBOARD_OPTIONS', field: 'host', message: expect.stringContaining('loopback') });
    }
  });

  it('listens on the loopback host it is given, and answers to its name', async () => {
    for (const [host, urlHost] of [
      ['127.0.0.1', '127.0.0.1'],
      ['localhost', '127.0.0.1'],
      ['::1', '[::1]'],
    ] as const) {
      const dashboard = await startDashboard({ events$: new Subject<RunEvent>(), host });
      try {
        const url = new URL(dashboard.url);
        expect(url.hostname, host).toBe(urlHost);
        expect((await fetch(dashboard.url)).status, host).toBe(200);
        const status = await new Promise<number>((resolve, reject) => {
          request({ host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, path: '/', headers: { host: `evil.example:${url.port}` } }, (res) => {
            res.resume();
            resolve(res.statusCode!);
          })
            .on('error', reject)
            .end();
        });
        expect(status, host).toBe(421);
      } finally {
        await dashboard.close();
      }
    }
  });
});
