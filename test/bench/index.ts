import { makespanRatio, memoryAcrossRuns, overheadPerNode } from './engine.bench.js';
import { report, type Figure } from './report.js';

/** `npm run bench`: every figure of the project, one JSON line each, then a table. */
const figures: Figure[] = [];
for (const bench of [overheadPerNode, memoryAcrossRuns, makespanRatio]) figures.push(...(await bench()));
report(figures);
