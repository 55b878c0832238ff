/**
 * The wire contract: what travels between a Rostra server and its clients (the web app, the CLI, bots,
 * load generators). REST shapes in `rest.ts`, the WebSocket event stream in `protocol.ts`, the reaction
 * set in `reactions.ts`. The server, the Node client and the web app import it; it imports nothing from
 * the server but the domain's enums. Add shapes and events here.
 */
export * from './rest.js';
export * from './protocol.js';
export * from './experience.js';
