/** Plain constants (no schema library): the browser client bundles them as they are. */
/**
 * WebSocket close codes the server uses besides the standard ones (1001 going away, 1008 policy
 * violation for floods, 1009 far too large).
 */
export const CloseCode = {
  /** The account's session ended (sign-out, revocation, expiry): sign in again. */
  SESSION_ENDED: 4401,
  /** Too many signalling connections for this account or address (see `signaling.maxConnections*`). */
  TOO_MANY_CONNECTIONS: 4429,
} as const;
