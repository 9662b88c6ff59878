/**
 * Bad input stops the CLI before anything runs: one line on stderr, `✗ CODE: message`, exit 2.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE, runCli } from './helpers.js';

const TIMEOUT = 120_000;
const dir = mkdtempSync(join(tmpdir(), 'rx-cli-bad-'));
writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n'); // as in an ESM project
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe.concurrent('rx-orchestra run: bad pipeline files and usage (exit 2, one line)', () => {
  const cases: [string, string[], RegExp][] = [
    ['a missing file', ['run', 'test/cli/fixtures/nope.ts'], /^✗ PIPELINE_NOT_FOUND: no such file: 'test\/cli\/fixtures\/nope\.ts'$/],
    ['a directory', ['run', 'test/cli/fixtures'], /^✗ PIPELINE_NOT_FOUND: not a file: 'test\/cli\/fixtures'$/],
    [
      'a TypeScript syntax error',
      ['run', file('broken.ts', 'export default graph(\n  .node(}\n')],
      /^✗ PIPELINE_IMPORT_FAILED: cannot load '.*broken\.ts': TransformError: Transform failed with 1 error: .*broken\.ts:2:2: ERROR: Unexpected "\."$/,
    ],
    ['a module that throws', ['run', file('throws.mjs', "throw new TypeError('no API key');\n")], /^✗ PIPELINE_IMPORT_FAILED: cannot load '.*throws\.mjs': TypeError: no API key$/],
    [
      'no pipeline export',
      ['run', file('helpers.mjs', 'export const build = () => 1;\nexport const limit = 3;\n')],
      /^✗ PIPELINE_NO_EXPORT: '.*helpers\.mjs' has no default export and no export named 'pipeline' or 'graph': it exports build \(a function\), limit \(a number\); pick one with --export <name>$/,
    ],
    ['an unknown --export', ['run', FIXTURE, '--export', 'nope'], /^✗ PIPELINE_NO_EXPORT: '.*' has no export 'nope': it exports answer \(a number\), big \(a function\), .*$/],
    ['a graph builder without .build()', ['run', FIXTURE, '--export', 'unbuilt'], /^✗ PIPELINE_INVALID_EXPORT: .*export 'unbuilt' is not a pipeline \(a graph builder: call \.build\(\)\)/],
    ['an export that is not a pipeline', ['run', FIXTURE, '--export', 'answer'], /^✗ PIPELINE_INVALID_EXPORT: .*export 'answer' is not a pipeline \(got a number\)/],
    ['a factory whose graph has a cycle', ['run', FIXTURE, '--export', 'cyclic'], /^✗ PIPELINE_IMPORT_FAILED: .*export 'cyclic' threw when called: GraphError CYCLE: dependency cycle: a -> b -> a$/],
    ['an unknown option', ['run', FIXTURE, '--concurency', '3'], /^✗ USAGE: unknown option '--concurency'; did you mean --concurrency\? \(see rx-orchestra --help\)$/],
    ['a bad number', ['run', FIXTURE, '--concurrency', '0'], /^✗ USAGE: --concurrency must be an integer >= 1, got '0'$/],
    ['an unknown command', ['start', FIXTURE], /^✗ USAGE: unknown command 'start': the commands are run, resume, replay, inspect/],
    ['a mistyped model id (the plan prices it)', ['run', FIXTURE, '--export', 'mistyped', '--dry-run'], /^✗ INVALID_OPTIONS: UnknownModelPriceError UNKNOWN_MODEL_PRICE: node 'ask': no price for model 'claude-haiku-45'; .*; did you mean 'claude-haiku-4-5'\?$/],
    ['a mistyped command', ['rn', FIXTURE], /^✗ USAGE: unknown command 'rn'; did you mean run\? /],
    ['an option of another command', ['run', FIXTURE, '--speed', '4'], /^✗ USAGE: --speed is not an option of run \(replay takes it\)/],
    ['a mistyped --log-level', ['run', FIXTURE, '--log-level', 'deubg'], /^✗ USAGE: --log-level must be one of .*, got 'deubg'; did you mean debug\?$/],
  ];
  for (const [name, args, expected] of cases) {
    it(name, { timeout: TIMEOUT }, async () => {
      const { code, stdout, stderr } = await runCli(args);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(expected)]);
    });
  }
});
