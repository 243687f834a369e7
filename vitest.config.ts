import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'podwalk', include: ['test/**/*.test.ts'] } },
      // The examples once more with the flow fast path off: they must hold either way (test/fast-path compares
      // every scenario's trace, captures and exit code byte for byte).
      { extends: true, test: { name: 'examples, fast path off', include: ['test/examples/**/*.test.ts'], env: { PODWALK_FAST_PATH: 'off' } } },
    ],
  },
});
