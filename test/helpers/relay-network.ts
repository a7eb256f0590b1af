/**
 * A locked-down network on this machine: a network namespace that reaches one address of the host
 * only, where Recinto's HTTPS and a real coturn (configured from Recinto's configuration, as
 * `recinto turn config` prints it) listen; the SFU's media ports stay on the host's loopback, out
 * of its reach. Browsers started with `insideBrowser` get media only through the relay.
 */
import type { DestinationStream } from 'pino';
import type { DeepPartial } from '../../server/config/load.ts';
import type { Config } from '../../server/config/schema.ts';
import { SESSION_COOKIE } from '../../server/auth/sessions.ts';
import { coturnConfig } from '../../server/turn/coturn-config.ts';
import { coturnSettings } from '../../server/turn/service.ts';
import { CHROMIUM_PATH, launchBrowser, type LaunchedBrowser } from './browser.ts';
import { freeUdpAndTcpPort, relayPorts, startCoturn, type Coturn } from './coturn.ts';
import { createNetns, type Netns } from './netns.ts';
import { startTestServer, type TestServer, type TestUser } from './server.ts';

export interface RelayNetwork {
  netns: Netns;
  server: TestServer;
  coturn: Coturn;
  /** A Chromium inside the namespace, holding `user`'s session. */
  insideBrowser(user: TestUser, label?: string): Promise<LaunchedBrowser>;
  close(): Promise<void>;
}

export async function startRelayNetwork(overrides: DeepPartial<Config> = {}, options: { logTo?: DestinationStream } = {}): Promise<RelayNetwork> {
  const netns = createNetns();
  let server: TestServer | undefined;
  try {
    const turnPort = await freeUdpAndTcpPort();
    server = await startTestServer(
      {
        ...overrides,
        server: { host: netns.hostAddress },
        media: { listenIp: '127.0.0.1' },
        turn: { enabled: true, host: netns.hostAddress, port: turnPort, tlsPort: turnPort + 1, ...relayPorts() },
      },
      options,
    );
    const conf = coturnConfig({ ...coturnSettings(server.config, server.recinto.secretKey), listeningIps: [netns.hostAddress] });
    const coturn = await startCoturn(conf, turnPort, netns.hostAddress);
    const running = server;
    return {
      netns,
      server: running,
      coturn,
      async insideBrowser(user, label = `${user.username} (relay only)`) {
        const [http, browser] = await Promise.all([running.signIn(user), launchBrowser({ label, executablePath: netns.wrapper(CHROMIUM_PATH) })]);
        await browser.context.addCookies([{ name: SESSION_COOKIE, value: http.session!, url: running.url, httpOnly: true, secure: true, sameSite: 'Strict' }]);
        return browser;
      },
      async close() {
        coturn.stop();
        await running.close();
        netns.remove();
      },
    };
  } catch (error) {
    await server?.close();
    netns.remove();
    throw error;
  }
}
