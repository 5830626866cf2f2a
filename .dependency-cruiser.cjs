// The house's layers, checked by `npm test` (scripts/check-layers.mjs runs this and the native
// core's header check). Imports point one way:
//   cli -> http -> cluster, store -> engine -> shard -> legs, audio -> native
// errors.ts and fields.ts are leaves anyone may use; native/ may also read audio/numbers.ts, the
// plain-TypeScript copy of the core's audio numbers.
const LEAVES = '^src/(errors|fields)\\.ts$';

/** A layer may import only itself, the layers below it and the leaves. */
function layer(name, from, allowed) {
  return {
    name,
    comment: `${from} may import only ${allowed.join(', ')} and the leaves`,
    severity: 'error',
    from: { path: `^src/${from}/` },
    to: { path: '^src/', pathNot: [LEAVES, ...allowed.map((folder) => `^src/${folder}`)] },
  };
}

module.exports = {
  forbidden: [
    layer('native-is-the-bottom', 'native', ['native/', 'audio/numbers\\.ts$']),
    layer('audio-sits-on-native', 'audio', ['audio/', 'native/']),
    layer('legs-sit-on-audio-and-native', 'legs', ['legs/', 'audio/', 'native/']),
    layer('shard-sits-on-legs', 'shard', ['shard/', 'legs/', 'audio/', 'native/']),
    // The engine runs on the main thread: it never loads the addon (only shards do).
    layer('engine-sits-on-shard', 'engine', ['engine/', 'shard/', 'legs/', 'audio/']),
    // Above the engine, the public face (index.ts) is the engine's door.
    layer('store-sits-on-engine', 'store', ['store/', 'index\\.ts$', 'engine/', 'shard/', 'legs/', 'audio/']),
    layer('cluster-sits-on-store', 'cluster', ['cluster/', 'store/', 'index\\.ts$', 'engine/', 'shard/', 'legs/', 'audio/']),
    layer('http-sits-on-cluster', 'http', ['http/', 'cluster/', 'store/', 'index\\.ts$', 'engine/', 'shard/', 'legs/', 'audio/']),
    {
      name: 'one-leg-kind-per-folder',
      comment: "a leg kind's folder does not reach into another kind's folder; shared contracts live in legs/ itself",
      severity: 'error',
      from: { path: '^src/legs/([^/]+)/' },
      to: { path: '^src/legs/[^/]+/', pathNot: '^src/legs/$1/' },
    },
    {
      name: 'nothing-below-imports-the-face',
      comment: 'index.ts re-exports the layers; a layer below http importing it would import itself from above',
      severity: 'error',
      from: { path: '^src/(engine|shard|legs|audio|native)/' },
      to: { path: '^src/(index|cli)\\.ts$' },
    },
    {
      name: 'testing-views-for-tests-only',
      comment: 'native/testing types the testing addon (tests and benchmarks); the product never loads it',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/native/testing/' },
      to: { path: '^src/native/testing/' },
    },
    {
      name: 'leaves-stay-leaves',
      comment: 'errors.ts and fields.ts import nothing of confmix but each other',
      severity: 'error',
      from: { path: LEAVES },
      to: { path: '^src/', pathNot: LEAVES },
    },
    {
      name: 'browser-code-outside-src',
      comment: 'browser code (web/) is bundled on its own; src/ never imports it',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^web/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js'] },
  },
};
