/**
 * The soak bench's fake Anthropic server, in a child process of its own so that what it records
 * (every request) does not count in the soak's RSS. Every 10th request answers with a fault, in
 * turn a 429 (retry-after 20 ms), a 529 and an `overloaded_error` mid-stream; the others stream a
 * reply of about 60 words. Tells the parent its `baseURL`, then answers `stats` messages.
 */
import { startFakeAnthropic, type Reply } from '../../src/testing/index.js';

/** Fault counts by kind, and requests in all, as the child reports them. */
export interface SoakFakeStats {
  requests: number;
  faults: { rateLimited: number; overloaded: number; midStream: number };
}

const TEXT = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
const faults = { rateLimited: 0, overloaded: 0, midStream: 0 };

const fake = await startFakeAnthropic({
  respond: (request): Reply => {
    if (request.index % 10 !== 7) return { text: TEXT };
    switch (Math.floor(request.index / 10) % 3) {
      case 0:
        faults.rateLimited += 1;
        return { status: 429, retryAfterMs: 20 };
      case 1:
        faults.overloaded += 1;
        return { status: 529 };
      default:
        faults.midStream += 1;
        return { midStreamError: 'overloaded_error', afterChunks: 3, text: TEXT };
    }
  },
});

process.on('message', (message) => {
  if (message === 'stats') process.send?.({ requests: fake.requests.length, faults } satisfies SoakFakeStats);
});
process.once('disconnect', () => void fake.close().then(() => process.exit(0))); // the soak ended, however it ended
process.send?.({ baseURL: fake.baseURL });
