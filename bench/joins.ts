/** A browser joining a meeting again and again, timed from the click (shared by the join benches). */
import type { LaunchedBrowser } from '../test/helpers/browser.ts';
import { joinMeeting } from '../test/helpers/page.ts';
import { waitFor } from '../test/helpers/wait.ts';

/** Runs in the page: clicks "Unirse" and times, from the click, state 'joined' and the first decoded remote video frame. */
export const CLICK_JOIN_AND_TIME = async () => {
  const button = document.getElementById('join-button') as HTMLButtonElement;
  const t0 = performance.now();
  button.click();
  let joinedAt = NaN;
  for (;;) {
    const { state, errorCode } = window.recinto;
    if (state === 'error') return { error: String(errorCode) };
    if (state === 'joined' && Number.isNaN(joinedAt)) joinedAt = performance.now() - t0;
    if (state === 'joined') {
      const stats = await window.recinto.stats();
      if (stats.some((s) => s.kind === 'video' && s.framesDecoded > 0)) {
        return { frame: performance.now() - t0, joined: joinedAt };
      }
    }
    if (performance.now() - t0 > 30_000) return { error: 'no remote frame within 30 s' };
    await new Promise((res) => setTimeout(res, 20));
  }
};

/**
 * The host joins `meetingId`; the guest (shown as `guestName`) joins N times (`BENCH_N`, default
 * 10): page reload, click on "Unirse", measured inside the page to state 'joined' and to the first
 * decoded remote video frame; then leaves, and the host sees it go.
 */
export async function joins(
  url: string,
  host: LaunchedBrowser,
  guest: LaunchedBrowser,
  meetingId: string,
  label: string,
  guestName: string,
  n = Number(process.env['BENCH_N'] ?? 10),
): Promise<{ toFrame: number[]; toJoined: number[] }> {
  const hp = host.page;
  await joinMeeting(hp, url, meetingId);

  const gp = guest.page;
  const toFrame: number[] = [];
  const toJoined: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === 0) await gp.goto(`${url}/m/${meetingId}`);
    else await gp.reload();
    await gp.getByRole('button', { name: 'Unirse' }).waitFor({ state: 'visible' });
    const r = await gp.evaluate(CLICK_JOIN_AND_TIME);
    if ('error' in r) throw new Error(`guest join ${i + 1}/${n} (${label}): ${r.error}\n${guest.logs.slice(-20).join('\n')}`);
    toFrame.push(r.frame);
    toJoined.push(r.joined);
    console.error(`#   ${label} run ${i + 1}/${n}: joined ${Math.round(r.joined)} ms, first remote frame ${Math.round(r.frame)} ms`);
    // Leave cleanly so the host sees the guest go before the next join.
    await gp.getByRole('button', { name: 'Salir' }).click();
    await waitFor(() => gp.evaluate(() => window.recinto.state === 'left'), 5_000);
    await waitFor(async () => (await hp.getByRole('listitem', { name: guestName }).count()) === 0, 5_000);
  }
  await hp.getByRole('button', { name: 'Salir' }).click();
  await waitFor(() => hp.evaluate(() => window.recinto.state === 'left'), 5_000);
  return { toFrame, toJoined };
}
