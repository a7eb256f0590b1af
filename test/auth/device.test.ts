/** The account's session list names browsers and systems in plain words, from the User-Agent. */
import { describe, expect, it } from 'vitest';
import { describeDevice } from '../../server/auth/device.ts';

describe('a session’s device in plain words', () => {
  it('names the browser with its major version and the system', () => {
    expect(describeDevice('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.8078.73 Safari/537.36')).toEqual({
      browser: 'Chrome 156',
      system: 'Linux',
      mobile: false,
    });
    expect(describeDevice('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:153.0) Gecko/20100101 Firefox/153.0')).toEqual({
      browser: 'Firefox 153',
      system: 'Windows 10',
      mobile: false,
    });
  });

  it('says when it is a phone', () => {
    const phone = describeDevice('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36');
    expect(phone).toEqual({ browser: 'Chrome 156', system: 'Android 14', mobile: true });
    const iphone = describeDevice(
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    );
    expect(iphone.browser).toBe('Safari 18');
    expect(iphone.system).toMatch(/^iOS/);
    expect(iphone.mobile).toBe(true);
  });

  it('says nothing it does not know', () => {
    expect(describeDevice(null)).toEqual({ browser: null, system: null, mobile: false });
    expect(describeDevice('curl/8.1.2')).toEqual({ browser: null, system: null, mobile: false });
    // Whatever a client claims, what is shown stays short.
    const long = describeDevice(`Mozilla/5.0 (X11; Linux x86_64) Chrome/1${'1'.repeat(200)}.0`);
    expect(long.browser?.length ?? 0).toBeLessThanOrEqual(64);
  });
});
