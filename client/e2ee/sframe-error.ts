/** Why a received SFrame ciphertext was refused; callers drop the frame and may count the reason. */
export type SFrameErrorCode = 'MALFORMED_HEADER' | 'UNKNOWN_KID' | 'AUTH_FAILED' | 'REPLAYED';

export class SFrameError extends Error {
  readonly code: SFrameErrorCode;

  constructor(code: SFrameErrorCode, message: string) {
    super(message);
    this.name = 'SFrameError';
    this.code = code;
  }
}
