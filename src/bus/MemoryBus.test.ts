import { runBusSuite } from './Bus.case.js';
import { MemoryBus } from './MemoryBus.js';

runBusSuite('memory', async () => new MemoryBus(), { shared: false });
