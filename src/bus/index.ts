/** The Bus's public surface: the factory and the contract. The engines stay internal. */
export { openBus, type OpenBusOptions } from './openBus.js';
export type * from './Bus.js';
