/**
 * Why a received SFrame ciphertext was refused; callers drop the frame and may count the reason.
 * DUPLICATE: the very frame already accepted, delivered again; REPLAYED: another frame under a CTR
 * already used, or a CTR too old to tell (replay-window.ts).
 */
export type SFrameErrorCode = 'MALFORMED_HEADER' | 'UNKNOWN_KID' | 'AUTH_FAILED' | 'REPLAYED' | 'DUPLICATE';

export class SFrameError extends Error {
  readonly code: SFrameErrorCode;

  constructor(code: SFrameErrorCode, message: string) {
    super(message);
    this.name = 'SFrameError';
    this.code = code;
  }
}
