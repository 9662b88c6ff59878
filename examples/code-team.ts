/**
 * Seed 001's code-generation team over an event bus: a developer publishes `feature.requested`;
 * the orchestrator runs spec → architect → coders (a pool of two, in parallel) → tests → review as
 * agent services, publishing every step on the bus; then the bus log is printed.
 *
 *   npx tsx examples/code-team.ts
 *
 * Offline, every agent answers from a simulated model (scripted replies, seeded latencies); with
 * ANTHROPIC_API_KEY set, every agent calls Claude.
 */
import { anthropicModel } from 'rx-orchestra';
import { DEMO_FEATURE, runCodeTeam } from './code-team-setup.js';

const claude = process.env.ANTHROPIC_API_KEY ? anthropicModel() : undefined;
console.log(`Code team (seed 001): ${DEMO_FEATURE.title}, ${claude ? 'real Claude' : 'simulated models, real time'}\n`);
const { completed } = await runCodeTeam(claude ? { provider: claude } : {});
const { status, makespanMs, tokensUsed } = completed.payload;
console.log(`\n${status}: ${(makespanMs / 1000).toFixed(2)} s, ${tokensUsed} tokens`);
