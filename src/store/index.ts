/** The Store's public surface: the factory and the contract. The SQL engines stay internal. */
export { openStore, type OpenStoreOptions } from './openStore.js';
export type * from './Store.js';
