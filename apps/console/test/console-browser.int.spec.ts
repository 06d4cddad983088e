// The console in a real headless browser (Debian's chromium driven by playwright-core) against a dev
// cluster whose gateway has a SASL listener and the ACL authorizer on: log in, create a topic,
// produce through the form, find the message by key, consume with a group and reset it (dry run,
// then apply), create a SCRAM user allowed to read one topic and see the console through their eyes.
// DMS_CONSOLE_SCREENSHOTS=<dir> also writes a PNG of each page there (docs/console/ in the repo).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } from 'kafkajs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestCluster, type TestCluster } from '@dms/testing';
import { ApiClient, consoleUrl, consumeWithGroup, eventually } from './console-harness';

jest.setTimeout(240_000);

const CHROMIUM = process.env.DMS_CHROMIUM ?? '/usr/bin/chromium';
const ADMIN_PW = 'admin-secret';
const WAIT = 30_000;
const shotsDir = process.env.DMS_CONSOLE_SCREENSHOTS;

let tc: TestCluster;
let browser: Browser;
let page: Page;
let url: string;
let saslBootstrap: string;

async function shot(name: string): Promise<void> {
  if (!shotsDir) return;
  mkdirSync(shotsDir, { recursive: true });
  // Log dir paths are this machine's temp dirs: masked in the committed pictures.
  await page.screenshot({ path: join(shotsDir, `${name}.png`), fullPage: true, mask: [testid('logdir-path')] });
}

const testid = (id: string) => page.getByTestId(id);

/** Waits until a chart holds at least `n` sampled points. */
const chartPoints = (id: string, n: number) =>
  eventually(`${n} points in ${id}`, async () => Number(await testid(id).getAttribute('data-points')) >= n, WAIT);

async function login(user: string, password: string): Promise<void> {
  await testid('login-username').fill(user);
  await testid('login-password').fill(password);
  await testid('login-submit').click();
}

beforeAll(async () => {
  tc = await startTestCluster({
    brokers: 2,
    controllers: 1,
    gateways: 1,
    console: true,
    gatewayListeners: ['SASL_PLAINTEXT'],
    scramUsers: [{ name: 'admin', password: ADMIN_PW, mechanism: 'SCRAM-SHA-512' }],
    config: {
      gateway: { 'authorizer.class.name': 'dms', 'super.users': 'User:admin' },
      console: { 'console.sampling.interval.ms': 1000 },
    },
  });
  url = consoleUrl(tc);
  saslBootstrap = `127.0.0.1:${tc.cluster.service('gateway', 1).ports.saslPlaintextPort}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    timeout: WAIT,
  });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.setDefaultTimeout(WAIT);
});

afterAll(async () => {
  await browser?.close();
  await tc?.cleanup();
});

it('asks for a SASL login and refuses a wrong password', async () => {
  await page.goto(url);
  await testid('login-username').waitFor();
  await shot('login');
  await login('admin', 'wrong');
  await testid('login-error').getByText(/wrong username or password/).waitFor();
  await login('admin', ADMIN_PW);
  await testid('current-user').getByText('admin').waitFor();
  await testid('overview-brokers').getByText('1').waitFor();
});

it('creates a topic, produces through the form and finds the message by key', async () => {
  // A topic the read-only user must not see later.
  const admin = new ApiClient(url);
  expect((await admin.post('/auth/login', { username: 'admin', password: ADMIN_PW })).status).toBe(200);
  expect((await admin.post('/topics', { name: 'secret', partitions: 1 })).status).toBe(200);

  await testid('nav-topics').click();
  await testid('create-topic-name').fill('orders');
  await testid('create-topic-partitions').fill('3');
  await testid('create-topic-rf').fill('2');
  await testid('create-topic-configs').fill('retention.ms=604800000');
  await testid('create-topic-submit').click();
  await testid('create-topic-done').waitFor();
  await testid('topic-row-orders').waitFor();
  await shot('topics');

  await page.goto(`${url}#/messages/orders`);
  for (const [key, value] of [['customer-7', '{"total":7}'], ['customer-42', '{"total":42,"items":["book","pen"]}'], ['customer-9', '{"total":9}']]) {
    await testid('produce-topic').selectOption('orders');
    await testid('produce-key').fill(key);
    await testid('produce-format').selectOption('json');
    await testid('produce-value').fill(value);
    await testid('produce-headers').fill('source=console-test');
    await testid('produce-submit').click();
    await testid('produce-done').getByText(`Produced key ${key} to orders`, { exact: false }).waitFor();
  }

  await testid('search-topic').selectOption('orders');
  await testid('search-mode').selectOption('key');
  await testid('search-key').fill('customer-42');
  await testid('search-submit').click();
  await testid('search-summary').getByText(/^1 record\(s\)/).waitFor();
  expect(await testid('message-row').count()).toBe(1);
  expect(await testid('message-key').first().textContent()).toBe('customer-42');
  await testid('value-view').selectOption('json');
  expect(await testid('message-value').first().textContent()).toBe('{\n  "total": 42,\n  "items": [\n    "book",\n    "pen"\n  ]\n}');
  await shot('messages');

  // The same three records by time: the last hour, every partition.
  await testid('search-mode').selectOption('time');
  await testid('search-submit').click();
  await testid('search-summary').getByText(/^3 record\(s\)/).waitFor();
});

it('shows a consumer group\'s lag and resets it to an hour ago with a dry run first', async () => {
  const sasl = { mechanism: 'scram-sha-512' as const, username: 'admin', password: ADMIN_PW };
  expect(await consumeWithGroup([saslBootstrap], 'orders', 'billing', 3, sasl)).toBeGreaterThanOrEqual(3);
  await page.goto(`${url}#/groups`);
  await testid('group-row-billing').waitFor();
  await testid('group-row-billing').click();
  await eventually('lag 0 with all offsets committed', async () => (await testid('group-total-lag').textContent()) === '0', WAIT);
  await chartPoints('group-lag-chart', 2);

  await testid('reset-topic').fill('orders');
  await testid('reset-strategy').selectOption('time');
  await testid('reset-hour-ago').click();
  await testid('reset-preview').click();
  await testid('reset-plan').waitFor();
  const planned = await testid('plan-new').allTextContents();
  expect(planned).toHaveLength(3);
  expect(planned.every((o) => o === '0')).toBe(true);
  // A dry run changes nothing.
  expect(await testid('group-total-lag').textContent()).toBe('0');
  await shot('group-reset-preview');

  await testid('reset-apply').click();
  await testid('reset-applied').waitFor();
  await eventually('lag 3 after the reset', async () => (await testid('group-total-lag').textContent()) === '3', WAIT);
  await chartPoints('group-lag-chart', 4);
  await shot('group');
});

it('lets a SCRAM user allowed to read one topic see only that topic', async () => {
  await page.goto(`${url}#/security`);
  await testid('user-name').fill('reader');
  await testid('user-password').fill('reader-secret');
  await testid('user-create').click();
  await testid('user-row-reader').waitFor();
  await testid('acl-principal').fill('User:reader');
  await testid('acl-operation').selectOption('READ');
  await testid('acl-resource-type').selectOption('TOPIC');
  await testid('acl-resource-name').fill('orders');
  await testid('acl-create').click();
  await testid('acls-table').getByText('User:reader').waitFor();
  await shot('security');

  await page.goto(`${url}#/charts`);
  await chartPoints('chart-messages-in', 2);
  await shot('charts');
  await page.goto(`${url}#/overview`);
  await testid('overview-partitions').waitFor();
  await shot('overview');

  await testid('logout').click();
  await login('reader', 'reader-secret');
  await testid('current-user').getByText('reader').waitFor();
  await testid('nav-topics').click();
  await testid('topic-row-orders').waitFor();
  expect(await page.locator('[data-testid^="topic-row-"]').count()).toBe(1);
  expect(await testid('topic-row-secret').count()).toBe(0);
  // Reading is allowed: the reader finds the message by key too.
  await page.goto(`${url}#/messages/orders`);
  await testid('search-topic').selectOption('orders');
  await testid('search-mode').selectOption('key');
  await testid('search-key').fill('customer-42');
  await testid('search-submit').click();
  await testid('search-summary').getByText(/^1 record\(s\)/).waitFor();
  // Writing is not: the broker's answer is shown.
  await testid('produce-topic').selectOption('orders');
  await testid('produce-value').fill('not allowed');
  await testid('produce-submit').click();
  await testid('produce-error').getByText(/TOPIC_AUTHORIZATION_FAILED/).waitFor();
  await shot('reader-view');

  // Find-by-key is served over the console's own internal certificate, past the gateway: the
  // reader's own client must still prove READ first. Allowed to DESCRIBE 'secret' but not to READ
  // it, the reader gets the broker's refusal, not the records.
  const admin = new Kafka({
    clientId: 'console-test-admin',
    brokers: [saslBootstrap],
    sasl: { mechanism: 'scram-sha-512', username: 'admin', password: ADMIN_PW },
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.createAcls({
      acl: [{
        resourceType: AclResourceTypes.TOPIC, resourceName: 'secret', resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: 'User:reader', host: '*', operation: AclOperationTypes.DESCRIBE, permissionType: AclPermissionTypes.ALLOW,
      }],
    });
  } finally {
    await admin.disconnect();
  }
  const denied = await eventually('key search refused for a topic the reader may only describe', async () => {
    const answer = await page.evaluate(async () => {
      const r = await fetch('/api/messages/search', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-dms-console': '1' },
        body: JSON.stringify({ mode: 'key', topic: 'secret', key: 'customer-42' }),
      });
      return { status: r.status, body: (await r.json()) as { errorName?: string } };
    });
    return answer.status === 403 ? answer : undefined;
  }, WAIT);
  expect(denied.body.errorName).toBe('TOPIC_AUTHORIZATION_FAILED');
});
