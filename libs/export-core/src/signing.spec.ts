import { signDownloadToken, verifyDownloadToken } from './download-token';
import { humanFileSize } from './status-body';
import { scheduleWebhookSecret, signWebhook, verifyWebhook } from './webhook-signature';

describe('download tokens', () => {
  const key = 'k'.repeat(32);
  it('accepts its own token until expiry, for that export only', () => {
    const token = signDownloadToken('export_a', 2_000, key);
    expect(verifyDownloadToken('export_a', token, key, 1_999)).toBe('valid');
    expect(verifyDownloadToken('export_a', token, key, 2_001)).toBe('expired');
    expect(verifyDownloadToken('export_b', token, key, 1_999)).toBe('invalid');
    expect(verifyDownloadToken('export_a', token, 'x'.repeat(32), 1_999)).toBe('invalid');
  });
  it('rejects tampering with the expiry or the mac', () => {
    const token = signDownloadToken('export_a', 2_000, key);
    const [, mac] = token.split('.');
    expect(verifyDownloadToken('export_a', `9999999.${mac}`, key, 1_999)).toBe('invalid');
    expect(verifyDownloadToken('export_a', `2000.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`, key, 1_999)).toBe('invalid');
    expect(verifyDownloadToken('export_a', 'garbage', key, 1_999)).toBe('invalid');
  });
});

describe('webhook signatures', () => {
  it('verifies the body it signed and nothing else', () => {
    const header = signWebhook('{"a":1}', 'secret', 1_000);
    expect(verifyWebhook('{"a":1}', header, 'secret', 300, 1_010)).toBe(true);
    expect(verifyWebhook('{"a":2}', header, 'secret', 300, 1_010)).toBe(false);
    expect(verifyWebhook('{"a":1}', header, 'other', 300, 1_010)).toBe(false);
    expect(verifyWebhook('{"a":1}', header, 'secret', 300, 2_000)).toBe(false);
  });

  it('gives every schedule its own secret, stable, unrelated to the master key', () => {
    const master = 'm'.repeat(32);
    const a = scheduleWebhookSecret(master, 'sched_aaaaaaaaaaaaaaaa');
    expect(a).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(scheduleWebhookSecret(master, 'sched_aaaaaaaaaaaaaaaa')).toBe(a);
    expect(scheduleWebhookSecret(master, 'sched_bbbbbbbbbbbbbbbb')).not.toBe(a);
    expect(scheduleWebhookSecret('n'.repeat(32), 'sched_aaaaaaaaaaaaaaaa')).not.toBe(a);
    expect(a).not.toContain(master);
    // A call signed for one schedule does not verify with another schedule's secret.
    const header = signWebhook('{}', a, 1_000);
    expect(verifyWebhook('{}', header, a, 300, 1_000)).toBe(true);
    expect(verifyWebhook('{}', header, scheduleWebhookSecret(master, 'sched_bbbbbbbbbbbbbbbb'), 300, 1_000)).toBe(false);
  });
});

describe('humanFileSize', () => {
  it('formats like the product documentation', () => {
    expect(humanFileSize(512)).toBe('512B');
    expect(humanFileSize(2.5 * 1024 * 1024)).toBe('2.5MB');
    expect(humanFileSize(1536)).toBe('1.5KB');
  });
});
