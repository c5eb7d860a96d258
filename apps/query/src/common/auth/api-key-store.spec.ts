import { ApiKeyStore, parseKeyPairs } from './api-key-store';

describe('ApiKeyStore', () => {
  const store = new ApiKeyStore(parseKeyPairs('sk_test_aaaaaaaaaaaa:acc_1, sk_live_bbbbbbbbbbbb:acc_1\n# comment\nsk_test_cccccccccccc:acc_2', 'test'));

  it('maps keys to account and mode', () => {
    expect(store.authenticate('sk_test_aaaaaaaaaaaa')).toMatchObject({ accountId: 'acc_1', livemode: false });
    expect(store.authenticate('sk_live_bbbbbbbbbbbb')).toMatchObject({ accountId: 'acc_1', livemode: true });
    expect(store.authenticate('sk_test_cccccccccccc')).toMatchObject({ accountId: 'acc_2', livemode: false });
  });

  it('refuses unknown, truncated and malformed keys', () => {
    for (const key of ['sk_test_aaaaaaaaaaab', 'sk_test_aaaaaaaaaaa', '', 'sk_test_aaaaaaaaaaaa ', "sk_test_' OR 1=1"]) {
      expect(store.authenticate(key)).toBeUndefined();
    }
  });

  it('holds no plaintext key', () => {
    expect(JSON.stringify(store)).not.toContain('aaaaaaaaaaaa');
  });

  it('rejects bad configuration without echoing it', () => {
    expect(() => parseKeyPairs('pk_abcdefghijkl:acc', 'API_KEYS')).toThrow(/API_KEYS/);
    expect(() => parseKeyPairs('sk_test_abcdefghijkl', 'API_KEYS')).not.toThrow(/abcdefghijkl/);
    expect(() => parseKeyPairs('sk_test_abcdefghijkl', 'API_KEYS')).toThrow();
  });
});
