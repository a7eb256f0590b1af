/**
 * Translation table. Spanish is the default; English is chosen with `?lang=en` or the language
 * selector, and the choice is remembered in localStorage.
 */
import type { ErrorCode } from '../../server/signaling/protocol.ts';

export const LANGS = ['es', 'en'] as const;
export type Lang = (typeof LANGS)[number];

const STORAGE_KEY = 'recinto.lang';

/** Errors the client raises itself, next to the server's ErrorCode values. */
export type ClientErrorCode =
  | 'MEDIA_DENIED'
  | 'MEDIA_UNAVAILABLE'
  | 'CONNECTION_FAILED'
  | 'CONNECTION_LOST'
  | 'TIMEOUT'
  | 'NO_MEETING'
  | 'NO_TOKEN'
  | 'UNSUPPORTED';
export type AnyErrorCode = ErrorCode | ClientErrorCode;

const es = {
  appTitle: 'Recinto',
  tagline: 'Reuniones de vídeo seguras',
  language: 'Idioma',
  meeting: 'Reunión',
  tokenLabel: 'Código de acceso',
  tokenHint: 'Pegue aquí el código o el enlace de invitación que ha recibido.',
  nameLabel: 'Su nombre (opcional)',
  join: 'Unirse',
  leave: 'Salir',
  muteMic: 'Silenciar micrófono',
  unmuteMic: 'Activar micrófono',
  stopCamera: 'Apagar cámara',
  startCamera: 'Encender cámara',
  controls: 'Controles de la llamada',
  you: 'Usted',
  yourPreview: 'Su vista previa',
  participants: 'Participantes',
  statusIdle: 'La cámara y el micrófono solo se activan al pulsar «Unirse».',
  statusMedia: 'Solicitando acceso a la cámara y al micrófono…',
  statusConnecting: 'Conectando con el servidor…',
  statusJoined: 'Está en la reunión.',
  statusLeft: 'Ha salido de la reunión.',
  statusReconnecting: 'El servidor de medios se ha reiniciado. Volviendo a conectar…',
  statusParticipantJoined: '{name} se ha unido.',
  statusParticipantLeft: '{name} ha salido.',
  statusMicMuted: 'Micrófono silenciado.',
  statusMicOn: 'Micrófono activado.',
  statusCameraOff: 'Cámara apagada.',
  statusCameraOn: 'Cámara encendida.',
  statusAlone: 'Todavía no hay nadie más en la reunión.',
  errorPrefix: 'Error:',
  err_MEDIA_DENIED: 'No se ha permitido el acceso a la cámara o al micrófono.',
  err_MEDIA_UNAVAILABLE: 'No se ha encontrado cámara o micrófono.',
  err_CONNECTION_FAILED: 'No se ha podido conectar con el servidor.',
  err_CONNECTION_LOST: 'Se ha perdido la conexión con el servidor.',
  err_TIMEOUT: 'El servidor no responde.',
  err_NO_MEETING: 'El enlace no contiene una reunión válida.',
  err_NO_TOKEN: 'Falta el código de acceso.',
  err_UNSUPPORTED: 'Este navegador no admite videollamadas.',
  err_BAD_REQUEST: 'Petición no válida.',
  err_INVALID_PARAMS: 'Datos no válidos (revise su nombre).',
  err_UNKNOWN_METHOD: 'Versión del cliente incompatible con el servidor.',
  err_MESSAGE_TOO_LARGE: 'Mensaje demasiado grande.',
  err_RATE_LIMITED: 'Demasiadas peticiones; espere un momento.',
  err_NOT_JOINED: 'No está en la reunión.',
  err_ALREADY_JOINED: 'Ya está en la reunión.',
  err_TOKEN_INVALID: 'El código de acceso no es válido para esta reunión.',
  err_TOKEN_EXPIRED: 'El código de acceso ha caducado.',
  err_MEETING_NOT_FOUND: 'La reunión no existe.',
  err_MEETING_FULL: 'La reunión está completa.',
  err_NOT_FOUND: 'Recurso no encontrado.',
  err_MEDIA_ERROR: 'El servidor de medios ha rechazado la operación.',
  err_INTERNAL: 'Error interno del servidor.',
} as const;

export type MessageKey = keyof typeof es;

const en: Record<MessageKey, string> = {
  appTitle: 'Recinto',
  tagline: 'Secure video meetings',
  language: 'Language',
  meeting: 'Meeting',
  tokenLabel: 'Access code',
  tokenHint: 'Paste the access code or the invitation link you received.',
  nameLabel: 'Your name (optional)',
  join: 'Join',
  leave: 'Leave',
  muteMic: 'Mute microphone',
  unmuteMic: 'Unmute microphone',
  stopCamera: 'Turn camera off',
  startCamera: 'Turn camera on',
  controls: 'Call controls',
  you: 'You',
  yourPreview: 'Your preview',
  participants: 'Participants',
  statusIdle: 'Camera and microphone only start when you press “Join”.',
  statusMedia: 'Asking for camera and microphone access…',
  statusConnecting: 'Connecting to the server…',
  statusJoined: 'You are in the meeting.',
  statusLeft: 'You left the meeting.',
  statusReconnecting: 'The media server restarted. Reconnecting…',
  statusParticipantJoined: '{name} joined.',
  statusParticipantLeft: '{name} left.',
  statusMicMuted: 'Microphone muted.',
  statusMicOn: 'Microphone on.',
  statusCameraOff: 'Camera off.',
  statusCameraOn: 'Camera on.',
  statusAlone: 'Nobody else is in the meeting yet.',
  errorPrefix: 'Error:',
  err_MEDIA_DENIED: 'Access to the camera or microphone was not allowed.',
  err_MEDIA_UNAVAILABLE: 'No camera or microphone was found.',
  err_CONNECTION_FAILED: 'Could not connect to the server.',
  err_CONNECTION_LOST: 'The connection to the server was lost.',
  err_TIMEOUT: 'The server does not respond.',
  err_NO_MEETING: 'The link does not contain a valid meeting.',
  err_NO_TOKEN: 'The access code is missing.',
  err_UNSUPPORTED: 'This browser does not support video calls.',
  err_BAD_REQUEST: 'Invalid request.',
  err_INVALID_PARAMS: 'Invalid data (check your name).',
  err_UNKNOWN_METHOD: 'This client version does not match the server.',
  err_MESSAGE_TOO_LARGE: 'Message too large.',
  err_RATE_LIMITED: 'Too many requests; please wait a moment.',
  err_NOT_JOINED: 'You are not in the meeting.',
  err_ALREADY_JOINED: 'You are already in the meeting.',
  err_TOKEN_INVALID: 'The access code is not valid for this meeting.',
  err_TOKEN_EXPIRED: 'The access code has expired.',
  err_MEETING_NOT_FOUND: 'The meeting does not exist.',
  err_MEETING_FULL: 'The meeting is full.',
  err_NOT_FOUND: 'Resource not found.',
  err_MEDIA_ERROR: 'The media server refused the operation.',
  err_INTERNAL: 'Internal server error.',
};

const tables: Record<Lang, Record<MessageKey, string>> = { es, en };

export const LANG_NAMES: Record<Lang, string> = { es: 'Español', en: 'English' };

function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGS as readonly string[]).includes(v);
}

let current: Lang = 'es';

/** Picks the language: `?lang=` first (and remembers it), then localStorage, then Spanish. */
export function initLang(search: string = location.search): Lang {
  const fromUrl = new URLSearchParams(search).get('lang');
  if (isLang(fromUrl)) {
    setLang(fromUrl);
    return current;
  }
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // storage disabled: fall back to default
  }
  current = isLang(stored) ? stored : 'es';
  document.documentElement.lang = current;
  return current;
}

export function setLang(lang: Lang): void {
  current = lang;
  document.documentElement.lang = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // ignore
  }
}

export function getLang(): Lang {
  return current;
}

/** Translates a key, substituting `{name}`-style placeholders (as plain text). */
export function t(key: MessageKey, vars: Record<string, string> = {}): string {
  const s = tables[current][key];
  return s.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);
}

/** Human text for an error code (server or client); unknown codes fall back to INTERNAL. */
export function errorText(code: string): string {
  const key = `err_${code}`;
  return key in es ? t(key as MessageKey) : t('err_INTERNAL');
}
