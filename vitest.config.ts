import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real Docker and a User-Mode Linux boot take minutes, not seconds; each file sets its own limits.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two files at a time even on two cores: each User-Mode Linux boot is one CPU and mostly waits,
    // so the long boots (the scenario suite, the host-engine files) run side by side.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
