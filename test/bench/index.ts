import { makespanRatio, memoryAcrossRuns, overheadPerNode } from './engine.bench.js';
import { report, type Figure } from './report.js';
import { seed003 } from './s003.bench.js';
import { resilience, seed002 } from './resilience.bench.js';
import { scaleout } from './scaleout.bench.js';
import { dashboardThroughput } from './dashboard.bench.js';
import { dashboardLateJoin, dashboardSnapshotCpu } from './dashboard-late.bench.js';
import { soak } from './soak.bench.js';
import { coldOverheadPerNode, rootImport } from './cold.bench.js';
import { installPackagesEngineOnly } from './install.bench.js';
import { agentStepOverhead } from './agent.bench.js';
import { streamCpuRatio } from './stream-cpu.bench.js';
import { cacheSavings } from './cache.bench.js';
import { banditFigures } from './bandit.bench.js';
import { batch } from './batch.bench.js';
import { fanoutMakespan, fanoutOverhead } from './fanout.bench.js';

/** Every bench, by the name that picks it: `npm run bench -- soak resilience` runs those two alone. */
const BENCHES: Record<string, () => Promise<Figure[]>> = {
  overheadPerNode,
  coldOverheadPerNode,
  rootImport,
  memoryAcrossRuns,
  makespanRatio,
  seed002,
  seed003,
  resilience,
  scaleout,
  dashboardThroughput, // dashboard_max_rate_kept_up (+ _late), dashboard_lag_p95_at_*, dashboard_late_page_drawn_ms
  dashboardLateJoin, // dashboard_late_join_ms
  dashboardSnapshotCpu, // dashboard_snapshot_cpu_ms (+ _watched_ms)
  soak,
  agentStepOverhead, // agent_step_overhead_us
  streamCpuRatio, // stream_cpu_ratio_vs_bare_sdk
  cacheSavings, // cache_savings_percent
  banditFigures, // bandit_regret_ratio, bandit_choice_overhead_us
  batch, // batch_cost_ratio, batch_resume_repaid_calls
  fanoutMakespan, // fanout_makespan_ratio (+ _worst, _tight)
  fanoutOverhead, // fanout_overhead_per_child (+ fanout_overhead_flat_per_node, fanout_overhead_ratio)
  installPackagesEngineOnly, // npm pack + npm install from the registry: RXO_BENCH_SKIP_INSTALL=1 skips it
};

/** `npm run bench`: every figure of the project (or those of the benches named), one JSON line each, then a table. */
const picked = process.argv.slice(2);
const unknown = picked.filter((name) => !(name in BENCHES));
if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(', ')}: pick from ${Object.keys(BENCHES).join(', ')}`);
const figures: Figure[] = [];
for (const [name, bench] of Object.entries(BENCHES)) if (picked.length === 0 || picked.includes(name)) figures.push(...(await bench()));
report(figures);
