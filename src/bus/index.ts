export { openBus, type OpenBusOptions } from './openBus.js';
export type * from './Bus.js';
