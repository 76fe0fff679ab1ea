// Run before every test file (vite.config.ts: test.setupFiles), isolated or
// not: the hooks that give each test and each file its own clean slate on the
// process's shared device (test/gpu.ts).
import { afterAll, afterEach } from 'vitest';
import { settleDevice } from './gpu';
import { releaseArena } from './harness';

afterEach(settleDevice);
afterAll(releaseArena);
