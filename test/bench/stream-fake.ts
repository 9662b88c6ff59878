/**
 * The fake Anthropic server of the stream CPU bench, in a child process of its own so that its CPU
 * time (building and writing the SSE streams) is not counted in the parent's `process.cpuUsage()`.
 * Every request streams a 500-token answer (2,000 characters) in 125 `text_delta` events of 4
 * tokens each, as fast as the socket takes them. Tells the parent its `baseURL`.
 */
import { startFakeAnthropic } from '../../src/testing/index.js';

/** Output tokens of every answer. */
export const STREAM_OUTPUT_TOKENS = 500;
const CHUNK = 'abc defg hij klm'; // 16 characters: 4 tokens as the fake counts them
const CHUNKS = Array.from({ length: STREAM_OUTPUT_TOKENS / 4 }, () => CHUNK);

if (process.send) {
  const fake = await startFakeAnthropic({ respond: () => ({ text: CHUNKS.join(''), chunks: CHUNKS, usage: { output_tokens: STREAM_OUTPUT_TOKENS } }) });
  process.once('disconnect', () => void fake.close().then(() => process.exit(0))); // the bench ended, however it ended
  process.send({ baseURL: fake.baseURL });
}
