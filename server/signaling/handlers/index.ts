/** Every protocol method's handler; the type makes a missing method a compile error. */
import type { MethodName } from '../../../protocol/signaling.ts';
import { chatHandlers } from './chat.ts';
import { e2eeHandlers } from './e2ee.ts';
import type { HandlerSet } from './common.ts';
import { hostHandlers } from './host.ts';
import { mediaHandlers } from './media.ts';
import { membershipHandlers } from './membership.ts';

export const handlers: HandlerSet<MethodName> = { ...membershipHandlers, ...mediaHandlers, ...hostHandlers, ...chatHandlers, ...e2eeHandlers };
