// Usage: node send.mjs HOST WRITE_KEY RUN_ID
// Sends one of each call through @segment/analytics-node, flushes, and exits non-zero on any SDK error.
import { Analytics } from '@segment/analytics-node';

const [host, writeKey, runId] = process.argv.slice(2);
const analytics = new Analytics({ writeKey, host, flushAt: 20, flushInterval: 200, maxRetries: 2 });
let failed = false;
analytics.on('error', (e) => { failed = true; console.error('sdk error', e?.reason ?? e); });

const userId = `sdk-${runId}`;
analytics.identify({ userId, traits: { email: `${runId}@example.com`, plan: 'pro', score: 9.5 } });
analytics.track({ userId, event: 'Order Completed', properties: { revenue: 19.9, items: [{ sku: 'a-1', qty: 2 }], runId } });
analytics.page({ userId, name: 'Home', properties: { path: '/' } });
analytics.screen({ userId, name: 'Main' });
analytics.group({ userId, groupId: `g-${runId}`, traits: { name: 'Acme' } });
analytics.alias({ userId, previousId: `anon-${runId}` });
await analytics.closeAndFlush({ timeout: 10000 });
process.exit(failed ? 1 : 0);
