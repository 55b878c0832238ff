/** The guard suite on the machine's Redis (TEST_REDIS_URL overrides), under a prefix of its own. */
import { randomBytes } from 'node:crypto';
import { openBus } from '../../src/bus/index.js';
import { runGuardSuite } from './guard.case.js';

const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `rostra-guard-test-${randomBytes(4).toString('hex')}:`;
runGuardSuite('Redis', () => openBus({ redisUrl: url, prefix }));
