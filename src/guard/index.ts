/** The guard plane's public surface. */
export { Guard, guardRules, type GuardConfig, type GuardOptions } from './Guard.js';
export { guardServerOptions, installHttpGuard, isJunkAnswer } from './GuardHttp.js';
export { JunkDoor, JUNK_DOOR_ROUTE } from './JunkDoor.js';
export { NewcomerDoor, NEWCOMER_DOOR_ROUTE, NEWCOMER_LINE_FULL } from './NewcomerDoor.js';
export { ClientAddress, prefixOf, unmap } from './ClientAddress.js';
export { QUEUE_COOKIE, readCookie } from './AdmissionQueue.js';
export {
  FixedPressureSource,
  type PressureLevel,
  type PressureReading,
  type PressureSource,
} from './Pressure.js';
export { rateLimited, type RateRule } from './RateLimiter.js';
export { admitWebSocket } from './WsDoor.js';
export { DEVICE_COOKIE, DEVICE_TTL_S } from './SignInGuard.js';
export { WorkClass, type WorkTiming } from './WorkLimiter.js';
export { holdSlot, type HeldSlot } from './HeldSlot.js';
