// Lint config. Besides the usual typescript-eslint rules, it keeps the layers of
// docs/architecture.md ("Layers") honest: each layer may import only the layers below it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The layers, roughly from the bottom up; a layer may import itself and what `allowed` lists for it (trace sits below kernel). */
const layers = ['wire', 'engine', 'kernel', 'trace', 'cluster', 'scenario', 'bench', 'api', 'vitest', 'cli'];
/** Exceptions: wire knows nothing; engine knows no protocol; trace is imported by kernel. */
const allowed = {
  wire: [],
  engine: [],
  trace: ['wire'],
  kernel: ['wire', 'engine', 'trace'],
  cluster: ['wire', 'engine', 'kernel', 'trace'],
  scenario: ['wire', 'engine', 'kernel', 'trace', 'cluster'],
  bench: ['wire', 'engine', 'kernel', 'trace', 'cluster', 'scenario'],
  // The library API for test authors (src/api) and its vitest matchers (src/vitest) on top of it.
  api: ['wire', 'engine', 'kernel', 'trace', 'cluster', 'scenario'],
  vitest: ['trace', 'scenario', 'api'],
  cli: ['wire', 'engine', 'kernel', 'trace', 'cluster', 'scenario', 'bench'],
};

const layerRules = layers.map((layer) => {
  const forbidden = layers.filter((l) => l !== layer && !allowed[layer].includes(l));
  return {
    files: [`src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: forbidden.map((l) => ({
            group: [`../${l}/*`, `../${l}`, `../../${l}/*`, `../../../${l}/*`, `../../../../${l}/*`],
            message: `src/${layer} must not import src/${l} (see docs/architecture.md: dependencies point down only).`,
          })),
        },
      ],
    },
  };
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**', 'bench/out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-globals': ['error', { name: 'Date', message: 'Use the engine clock, not wall time.' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Use the seeded RNG.' }],
    },
  },
  ...layerRules,
  {
    files: ['bench/**', 'test/**', 'bin/**', 'eslint.config.js', 'vitest.config.ts'],
    rules: { 'no-restricted-globals': 'off' },
  },
);
