// The Node client of the Rostra API (see RostraClient.ts).
export {
  ApiError,
  errorOf,
  fetchTransport,
  RostraClient,
  type ApiResponse,
  type Headers,
  type HttpMethod,
  type RostraClientOptions,
  type Transport,
  type TransportRequest,
  type TransportResponse,
} from './RostraClient.js';
