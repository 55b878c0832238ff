/**
 * Rostra as a package: the Node client and the wire contract it speaks, and the node itself for embedding
 * (`rostra serve` is the usual way to run one). Nothing else here is a stable interface.
 */
export * from './contract/index.js';
export * from './client/index.js';
export { ConfigError, loadConfig, type Config, type ConfigInput } from './config/Config.js';
export { RostraNode, type RostraNodeOptions } from './server/RostraNode.js';
