export { ErrorCodes, type ErrorCode } from './ErrorCode.js';
export { RostraError, isRostraError, type ErrorDetails } from './RostraError.js';
export { prepareAnswer, type PreparedAnswer } from './PreparedAnswer.js';
