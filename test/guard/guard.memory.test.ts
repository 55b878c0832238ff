/** The guard suite on the in-memory Bus: several nodes share one hub, as one Redis would. */
import { MemoryBus, MemoryHub } from '../../src/bus/MemoryBus.js';
import { runGuardSuite } from './guard.case.js';

const hub = new MemoryHub();
runGuardSuite('memory', async () => new MemoryBus({ hub }));
