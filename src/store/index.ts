export { openStore, type OpenStoreOptions } from './openStore.js';
export type * from './Store.js';
