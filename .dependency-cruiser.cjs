/* global module */
/**
 * Guard rails of the import graph (`npx depcruise src operators --config .dependency-cruiser.cjs`):
 * no import cycles, library code never imports tests or examples, and imports only point down the
 * layers below. Type-only imports count too (`tsPreCompilationDeps`): a layer is a promise about
 * what a reader must know, not only about what loads.
 *
 * Layers, bottom up (each may import the ones below it and its own, never one above):
 *   0. base        src/errors (the error base: imports nothing), src/peer (loads optional packages)
 *   1. operators   operators/ (the resilience operators: the `rx-orchestra/operators` entry)
 *   2. events      event declarations: src/run/event-fields.ts and the `*-events.ts` / `events.ts`
 *                  schemas next to the code that emits them (zod and event-fields only)
 *   3. vocabulary  src/run/events.ts (the run's schema, merging the declarations), src/run/outcome.ts
 *   4. models      src/models, src/budget (providers, prices, cost estimates: they use each other)
 *   5. graph       src/graph
 *   6. run         src/run (the engine)
 *   7. nodes       src/nodes (llm(), fallbackTo, ...)
 *   8. agents      src/agents (tool(), agent(): tool-using loops)
 *   9. features    src/patterns, src/store, src/observe, src/distributed, src/mcp
 *  10. ui          src/ui (the dashboard)
 *  11. cli         src/cli
 *  12. entries     src/index.ts, src/testing (may import anything below)
 *
 * @type {import('dependency-cruiser').IConfiguration}
 */

/** Path regexes of each layer, bottom up. */
const LAYERS = [
  ['base', '^src/(errors|peer)/'],
  ['operators', '^operators/'],
  ['events', '^src/run/event-fields\\.ts$|^src/(models|store|nodes)/[a-z-]+-events\\.ts$|^src/models/batch/batch-events\\.ts$|^src/patterns/[a-z]+/[a-z-]*events\\.ts$|^src/agents/events\\.ts$'],
  ['vocabulary', '^src/run/(events|outcome)\\.ts$'],
  ['models', '^src/(models|budget)/'],
  ['graph', '^src/graph/'],
  ['run', '^src/run/'],
  ['nodes', '^src/nodes/'],
  ['agents', '^src/agents/'],
  ['features', '^src/(patterns|store|observe|distributed|mcp)/'],
  ['ui', '^src/ui/'],
  ['cli', '^src/cli/'],
  ['entries', '^src/(index\\.ts$|testing/)'],
];

/** The layer of a path: the first that matches (so an event declaration in src/store is 'events'). */
const layerIndex = (name) => LAYERS.findIndex(([layer]) => layer === name);

/**
 * For each layer, a rule forbidding imports from it to any layer above it. A path belongs to the
 * first layer whose regex matches, so each rule's `from` excludes the layers listed before it.
 */
const upwardRules = LAYERS.slice(0, -1).map(([name, path], index) => {
  const earlier = LAYERS.slice(0, index).map(([, p]) => p);
  const above = LAYERS.slice(index + 1).map(([, p]) => p);
  const belowOrSame = LAYERS.slice(0, index + 1).map(([, p]) => p);
  return {
    name: `layers-${name}`,
    comment: `'${name}' (layer ${index}) may only import layers 0-${index}: an import that points up the layers`,
    severity: 'error',
    from: { path, ...(earlier.length > 0 ? { pathNot: earlier } : {}) },
    to: { path: above, pathNot: belowOrSame },
  };
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle: modules that need each other load in an order that depends on who came first.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-tests-or-examples-in-library',
      comment: 'Library code (src/, operators/) must not import tests or examples.',
      severity: 'error',
      from: { path: '^(src|operators)/' },
      to: { path: '^(test|examples)/' },
    },
    {
      name: 'operators-stand-alone',
      comment: 'operators/ is its own entry (`rx-orchestra/operators`): it may import nothing from src/ but the error base (src/errors).',
      severity: 'error',
      from: { path: '^operators/' },
      to: { path: '^src/', pathNot: '^src/errors/' },
    },
    {
      name: 'event-declarations-are-leaves',
      comment:
        'An event declaration (next to the code that emits it) is merged into the run schema by src/run/events.ts: ' +
        'it may import zod and src/run/event-fields.ts only, so the run depends on its shape, never on the code that emits it.',
      severity: 'error',
      from: { path: LAYERS[layerIndex('events')][1] },
      to: { path: '^(src|operators)/', pathNot: '^src/run/event-fields\\.ts$' },
    },
    {
      name: 'base-is-a-leaf',
      comment: 'src/errors and src/peer sit below everything: they import no other part of the library.',
      severity: 'error',
      from: { path: '^src/(errors|peer)/' },
      to: { path: '^(src|operators)/', pathNot: '^src/(errors|peer)/' },
    },
    ...upwardRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
