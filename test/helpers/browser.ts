/**
 * Headless Chromium for browser tests and benches (see /work/shared/notes/chromium-webrtc.md).
 * Every `launchBrowser()` starts a separate Chromium process with its own profile and fake
 * camera/microphone, so two calls give two independent meeting participants. client/dist is
 * built by global-setup.ts and served by the real server.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { SESSION_COOKIE } from '../../server/auth/sessions.ts';
import type { HttpClient } from './http-client.ts';
import { startTestServer, type TestServer, type TestUser } from './server.ts';
import { watchRouters } from './sfu-tap.ts';

/** The same setting the `./recinto` wrapper checks (and installs Debian's package for). */
export const CHROMIUM_PATH = process.env['RECINTO_CHROMIUM'] || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream=fps=30',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

export type LaunchedBrowser = {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console messages and page errors, for diagnosing failures. */
  logs: string[];
  close(): Promise<void>;
};

/** `executablePath`: another way to start Chromium (e.g. inside a network namespace, test/helpers/netns.ts). */
export async function launchBrowser(opts: { extraArgs?: string[]; label?: string; executablePath?: string } = {}): Promise<LaunchedBrowser> {
  const browser = await chromium.launch({
    executablePath: opts.executablePath ?? CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...(opts.extraArgs ?? [])],
  });
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const logs: string[] = [];
  const label = opts.label ? `[${opts.label}] ` : '';
  page.on('console', (m) => logs.push(`${label}${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`${label}pageerror: ${e.message}`));
  return {
    browser,
    context,
    page,
    logs,
    close: async () => {
      await browser.close().catch(() => {});
    },
  };
}

/** A browser holding `user`'s verified session (signed in through the API), so tests skip the sign-in pages. */
export type SignedInBrowser = LaunchedBrowser & {
  /** The same session as the browser's cookie, for API calls as that user. */
  http: HttpClient;
};

export async function signedInBrowser(server: TestServer, user: TestUser, label = user.username, extraArgs: string[] = []): Promise<SignedInBrowser> {
  const [http, launched] = await Promise.all([server.signIn(user), launchBrowser({ label, extraArgs })]);
  await launched.context.addCookies([{ name: SESSION_COOKIE, value: http.session!, url: server.url, httpOnly: true, secure: true, sameSite: 'Strict' }]);
  return { ...launched, http };
}

// ---------------------------------------------------------------------------------------------
// What a page does with camera, microphone and the network

/** Counts and keeps what pages create, from their first script on; read with `deviceUse()`. */
const SPY = () => {
  const spy = {
    getUserMedia: 0,
    getDisplayMedia: 0,
    enumerateDevices: 0,
    webSockets: 0,
    peerConnections: [] as RTCPeerConnection[],
    tracks: [] as MediaStreamTrack[],
    displayTracks: [] as MediaStreamTrack[],
  };
  Object.defineProperty(window, '__spy', { value: spy });
  const devices = navigator.mediaDevices;
  if (devices) {
    const getUserMedia = devices.getUserMedia.bind(devices);
    devices.getUserMedia = async (constraints?: MediaStreamConstraints) => {
      spy.getUserMedia++;
      const stream = await getUserMedia(constraints);
      spy.tracks.push(...stream.getTracks());
      return stream;
    };
    if (devices.getDisplayMedia) {
      const getDisplayMedia = devices.getDisplayMedia.bind(devices);
      devices.getDisplayMedia = async (options?: DisplayMediaStreamOptions) => {
        spy.getDisplayMedia++;
        const stream = await getDisplayMedia(options);
        spy.tracks.push(...stream.getTracks());
        spy.displayTracks.push(...stream.getTracks());
        return stream;
      };
    }
    const enumerateDevices = devices.enumerateDevices.bind(devices);
    devices.enumerateDevices = () => {
      spy.enumerateDevices++;
      return enumerateDevices();
    };
  }
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      spy.webSockets++;
      super(url, protocols);
    }
  };
  const NativePeerConnection = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends NativePeerConnection {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      spy.peerConnections.push(this);
    }
  };
};

type SpyRecord = {
  getUserMedia: number;
  getDisplayMedia: number;
  enumerateDevices: number;
  webSockets: number;
  peerConnections: RTCPeerConnection[];
  tracks: MediaStreamTrack[];
  displayTracks: MediaStreamTrack[];
};

export async function spyOnDevicesAndSockets(context: BrowserContext): Promise<void> {
  await context.addInitScript(SPY);
}

export type DeviceUse = {
  getUserMedia: number;
  getDisplayMedia: number;
  enumerateDevices: number;
  webSockets: number;
  peerConnections: number;
  /** Peer connections not closed, and camera/microphone/screen tracks not stopped. */
  openPeerConnections: number;
  liveTracks: number;
};

export function deviceUse(page: Page): Promise<DeviceUse> {
  return page.evaluate(() => {
    const spy = (window as unknown as { __spy: SpyRecord }).__spy;
    return {
      getUserMedia: spy.getUserMedia,
      getDisplayMedia: spy.getDisplayMedia,
      enumerateDevices: spy.enumerateDevices,
      webSockets: spy.webSockets,
      peerConnections: spy.peerConnections.length,
      openPeerConnections: spy.peerConnections.filter((pc) => pc.connectionState !== 'closed').length,
      liveTracks: spy.tracks.filter((t) => t.readyState === 'live').length,
    };
  });
}

/**
 * Ends the page's screen sharing as the browser's own "stop sharing" bar does: the captured
 * tracks stop and fire `ended` (a script's `stop()` alone fires nothing).
 */
export function endScreenSharing(page: Page): Promise<number> {
  return page.evaluate(() => {
    const spy = (window as unknown as { __spy: SpyRecord }).__spy;
    const live = spy.displayTracks.filter((t) => t.readyState === 'live');
    for (const t of live) {
      t.stop();
      t.dispatchEvent(new Event('ended'));
    }
    return live.length;
  });
}

// ---------------------------------------------------------------------------------------------
// The keys a page hands its end-to-end encryption Worker

export type CapturedKey = { op: 'sendKey' | 'receiveKey'; senderId?: string; epoch: number; baseKey: number[]; at: number };

/** Records the keys the page hands its transform Worker (the test's window into the browser's keys); read with `capturedKeys()`. */
export const KEY_SPY = () => {
  const keys: unknown[] = [];
  Object.defineProperty(window, '__e2eeKeys', { value: keys });
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (this: Worker, message: unknown, options?: unknown) {
    const m = message as { op?: string; senderId?: string; epoch?: number; baseKey?: Uint8Array };
    if (m?.op === 'sendKey' || m?.op === 'receiveKey')
      keys.push({ op: m.op, senderId: m.senderId, epoch: m.epoch, baseKey: Array.from(m.baseKey ?? []), at: Date.now() });
    return post.call(this, message, options as StructuredSerializeOptions);
  } as typeof post;
};

export const capturedKeys = (page: { evaluate<R>(fn: () => R | Promise<R>): Promise<R> }) =>
  page.evaluate(() => (window as unknown as { __e2eeKeys: unknown[] }).__e2eeKeys) as Promise<CapturedKey[]>;

// ---------------------------------------------------------------------------------------------
// A test file's server and browsers

/**
 * A browser-test file's server and browsers. `start()` (before the tests) starts the server,
 * watches its worker's routers (for SFU taps) and creates `people` ([username, display name]);
 * `open(name, initScripts)` signs one of them in, in a browser of its own with the device spy,
 * `everyBrowser` and then `initScripts` on its context. `closeBrowsers()` after each test, since
 * two cores do not run more than three calls' worth of Chromium; `stop()` after all of them.
 */
export function browserSuite(people: readonly (readonly [string, string])[], everyBrowser: (() => void)[] = []) {
  const browsers: SignedInBrowser[] = [];
  const users = new Map<string, TestUser>();
  let server: TestServer | undefined;
  let routers: ReturnType<typeof watchRouters> | undefined;
  const closeBrowsers = async () => {
    await Promise.allSettled(browsers.splice(0).map((b) => b.close()));
  };
  return {
    users,
    async start() {
      server = await startTestServer();
      routers = watchRouters(server.recinto.pool.slots[0]!.worker);
      for (const [name, displayName] of people) users.set(name, await server.createUser(name, { displayName }));
      return { server, routers };
    },
    async open(name: string, initScripts: (() => void)[] = []): Promise<SignedInBrowser> {
      const b = await signedInBrowser(server!, users.get(name)!);
      browsers.push(b);
      await spyOnDevicesAndSockets(b.context);
      for (const script of [...everyBrowser, ...initScripts]) await b.context.addInitScript(script);
      return b;
    },
    /** Prints every browser's console messages and page errors (for `onTestFailed`). */
    logs: () => console.log(browsers.flatMap((b) => b.logs).join('\n')),
    closeBrowsers,
    async stop() {
      routers?.stop();
      await closeBrowsers();
      await server?.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Accessibility

/** Roles a person operates or navigates by; each needs a name. */
const NAMED_ROLES = ['button', 'link', 'textbox', 'combobox', 'checkbox', 'img'];

/**
 * The controls on the page as assistive technology sees them (Chromium's accessibility tree, via
 * Playwright's ARIA snapshot): role and accessible name, '' when it has none. Hidden elements are
 * not in the tree.
 */
export async function accessibleControls(page: Page): Promise<{ role: string; name: string }[]> {
  const snapshot = await page.locator('body').ariaSnapshot();
  const controls: { role: string; name: string }[] = [];
  for (const line of snapshot.split('\n')) {
    const match = /^\s*- (\w+)(?: "((?:[^"\\]|\\.)*)")?/.exec(line);
    if (match && NAMED_ROLES.includes(match[1]!)) controls.push({ role: match[1]!, name: match[2] ?? '' });
  }
  return controls;
}
