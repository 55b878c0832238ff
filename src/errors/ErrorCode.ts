/**
 * The one catalogue of stable error codes that clients can rely on.
 * A code is never reused or renamed; add new ones at the end of their group.
 */
export const ErrorCodes = {
  // 400: the request itself is wrong
  bad_request: { status: 400, message: 'The request is malformed.' },
  invalid_json: { status: 400, message: 'The body is not valid JSON.' },
  validation_failed: { status: 400, message: 'The request did not pass validation.' },
  invalid_sdp: { status: 400, message: 'The SDP offer is malformed or not acceptable.' },
  unsupported_codec: { status: 400, message: 'Only Opus audio is accepted.' },
  invalid_image: { status: 400, message: 'The file is not a PNG, JPEG or WebP image that can be read.' },
  invalid_trim: { status: 400, message: 'A replay may start from 0 s up to 5 s before its end.' },
  clip_out_of_range: { status: 400, message: 'The clip is not within the recording.' },
  // 401: who you are is unknown
  unauthenticated: { status: 401, message: 'Sign in to do this.' },
  invalid_token: { status: 401, message: 'The session token is invalid, expired or revoked.' },
  invalid_credentials: { status: 401, message: 'Wrong handle or password.' },
  // 403: who you are is known and not allowed
  forbidden: { status: 403, message: 'You are not allowed to do this.' },
  not_host: { status: 403, message: 'Only the host can do this.' },
  not_moderator: { status: 403, message: 'Only the host or a co-host can do this.' },
  not_on_stage: { status: 403, message: 'Only people on stage can do this.' },
  removed_from_space: { status: 403, message: 'You were removed from this space.' },
  blocked_by_host: { status: 403, message: 'You cannot join spaces of this host.' },
  sign_in_required: { status: 403, message: 'This space needs an account to listen.' },
  invalid_ticket: { status: 403, message: 'The listener ticket is missing, invalid or expired.' },
  not_clip_owner: { status: 403, message: 'Only its maker, the host or a co-host can delete a clip.' },
  // 404
  not_found: { status: 404, message: 'Nothing is here.' },
  space_not_found: { status: 404, message: 'This space does not exist.' },
  user_not_found: { status: 404, message: 'This user does not exist.' },
  route_not_found: { status: 404, message: 'There is no such route.' },
  clip_not_found: { status: 404, message: 'This clip does not exist.' },
  no_recording: { status: 404, message: 'This space has no recording to clip.' },
  // 405 / 406 / 409 / 410 / 413 / 415
  method_not_allowed: { status: 405, message: 'This method is not allowed here.' },
  handle_taken: { status: 409, message: 'This handle is taken.' },
  invalid_state: { status: 409, message: 'The space is not in a state that allows this.' },
  cohost_limit: { status: 409, message: 'This space already has the most co-hosts allowed.' },
  speaker_limit: { status: 409, message: 'The stage is full.' },
  already_exists: { status: 409, message: 'This already exists.' },
  pin_limit: { status: 409, message: 'This space has the most pinned posts allowed. Unpin one first.' },
  space_not_live: { status: 409, message: 'This space has not gone live yet. Retry after it starts.' },
  space_ended: { status: 410, message: 'This space has ended.' },
  clip_gone: { status: 410, message: 'This clip was deleted or has expired.' },
  payload_too_large: { status: 413, message: 'The body is too large.' },
  unsupported_media_type: { status: 415, message: 'This content type is not accepted here.' },
  // 429: too much, too fast
  rate_limited: { status: 429, message: 'Too many requests. Slow down and retry later.' },
  too_many_attempts: { status: 429, message: 'Too many sign-in attempts. Retry later.' },
  // 5xx: planned refusals under load, and our own faults
  space_unavailable: { status: 503, message: 'This space is not available right now. Retry shortly.' },
  internal: { status: 500, message: 'Something went wrong on our side.' },
  server_busy: { status: 503, message: 'The server is busy. Retry shortly.' },
  // A cluster: the node that owns a live space's media is elsewhere, being replaced, or slow.
  not_owner: { status: 503, message: 'This node does not run this space’s media. Retry shortly.' },
  owner_unreachable: { status: 502, message: 'The node that runs this space’s media cannot be reached.' },
  owner_timeout: { status: 504, message: 'The node that runs this space’s media did not answer in time.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ErrorCodes;
