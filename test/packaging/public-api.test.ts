import { describe, expect, it } from 'vitest';
import { formatPublicApi, publicApi } from './public-api.js';

describe('the public API', () => {
  const api = publicApi();

  it('exports each name from exactly one entry point', () => {
    expect(api.duplicates).toEqual([]);
  });

  it('matches the checked-in report (update it with -u after a deliberate change)', async () => {
    await expect(formatPublicApi(api)).toMatchFileSnapshot('./public-api.md');
  });

  it('keeps internal helpers out of the root entry', () => {
    const root = api.entries['rx-orchestra']!.join('\n');
    for (const internal of ['lineOf', 'cacheKeyOf', 'PriorityTaskQueue', 'classifyAnthropicError', 'assertWithinBudget']) {
      expect(root).not.toMatch(new RegExp(`\\b${internal}\\b[(:<]`));
    }
  });
});
