import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'podwalk', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/fast-path/twin.test.ts'] } },
      // The examples once more with the flow fast path off: they must hold either way, and each of their
      // simulations is compared byte for byte with a twin run with the fast path on (test/fast-path/twin-setup.ts;
      // test/fast-path/differential.test.ts compares every scenario's trace, captures and exit code).
      {
        extends: true,
        test: {
          name: 'examples, fast path off',
          include: ['test/examples/**/*.test.ts', 'test/fast-path/twin.test.ts'],
          setupFiles: ['test/fast-path/twin-setup.ts'],
          env: { PODWALK_FAST_PATH: 'off' },
        },
      },
    ],
  },
});
