import { lookup } from 'node:dns/promises';
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { isPublicAddress, postWebhook, webhookUrlProblem } from './webhook-target';

describe('isPublicAddress', () => {
  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('%s is public', (ip) => expect(isPublicAddress(ip)).toBe(true));
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fd00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
    '64:ff9b::7f00:1',
    'not-an-ip',
  ])('%s is not', (ip) => expect(isPublicAddress(ip)).toBe(false));
});

describe('webhookUrlProblem', () => {
  it('accepts public http(s) URLs', () => {
    expect(webhookUrlProblem('https://hooks.example.com/exports', false)).toBeUndefined();
    expect(webhookUrlProblem('http://93.184.216.34:8080/x', false)).toBeUndefined();
  });
  it('refuses other schemes, credentials, and literal non-public hosts unless allowed', () => {
    expect(webhookUrlProblem('ftp://example.com/x', false)).toMatch(/http/);
    expect(webhookUrlProblem('https://user:pw@example.com/x', false)).toMatch(/credentials/);
    for (const url of ['http://localhost:9000/', 'http://127.0.0.1/', 'http://[::1]/', 'http://169.254.169.254/latest/meta-data', 'http://api.localhost/'])
      expect([url, webhookUrlProblem(url, false)]).toEqual([url, expect.stringMatching(/public/)]);
    expect(webhookUrlProblem('http://127.0.0.1:9000/', true)).toBeUndefined();
  });
});

describe('postWebhook', () => {
  let server: Server;
  let port: number;
  const received: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(body);
        res.writeHead(req.url === '/redirect' ? 302 : 204, req.url === '/redirect' ? { location: 'http://169.254.169.254/' } : {}).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('posts the body and answers the status when private networks are allowed', async () => {
    expect(await postWebhook(`http://127.0.0.1:${port}/hook`, { 'content-type': 'application/json' }, '{"a":1}', { timeoutMs: 2_000, allowPrivateNetworks: true })).toBe(204);
    expect(received.at(-1)).toBe('{"a":1}');
  });

  it('does not follow redirects', async () => {
    expect(await postWebhook(`http://127.0.0.1:${port}/redirect`, {}, '{}', { timeoutMs: 2_000, allowPrivateNetworks: true })).toBe(302);
  });

  it('refuses a loopback address, literal or behind a name, when they are not allowed', async () => {
    const before = received.length;
    await expect(postWebhook(`http://127.0.0.1:${port}/hook`, {}, '{}', { timeoutMs: 2_000, allowPrivateNetworks: false })).rejects.toThrow(/public/);
    // A name is checked at the connection's own lookup: this machine's host name resolves (/etc/hosts) to loopback.
    const name = hostname();
    expect(isPublicAddress((await lookup(name)).address)).toBe(false);
    await expect(postWebhook(`http://${name}:${port}/hook`, {}, '{}', { timeoutMs: 2_000, allowPrivateNetworks: false })).rejects.toThrow(/not a public address/);
    expect(received.length).toBe(before);
  });
});
