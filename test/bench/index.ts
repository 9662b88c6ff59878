import { makespanRatio, memoryAcrossRuns, overheadPerNode } from './engine.bench.js';
import { report, type Figure } from './report.js';
import { seed003 } from './s003.bench.js';
import { resilience, seed002 } from './resilience.bench.js';
import { scaleout } from './scaleout.bench.js';
import { dashboardThroughput } from './dashboard.bench.js';

/** `npm run bench`: every figure of the project, one JSON line each, then a table. */
const figures: Figure[] = [];
for (const bench of [overheadPerNode, memoryAcrossRuns, makespanRatio, seed002, seed003, resilience, scaleout, dashboardThroughput]) figures.push(...(await bench()));
report(figures);
