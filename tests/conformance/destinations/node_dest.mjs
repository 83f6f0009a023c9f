// A tiny Segment -> Planhat destination, profile `segment`, written as a command target for the
// kit's own tests: NDJSON requests on stdin, NDJSON answers on stdout (conformance/harness/README.md).
// Node 20, no npm dependencies.
import { createInterface } from 'node:readline';

const SUBDOMAINS = ['api', 'api-eu', 'analytics'];
const SENT = ['identify', 'track', 'page', 'group', 'alias'];

// Rule S-1, T-3, W-1..W-4 and O-1..O-3, in that order.
async function deliver(event, settings) {
  const subdomain = settings.subdomain ?? 'api';
  if (typeof settings.apiKey !== 'string' || settings.apiKey === '' || !SUBDOMAINS.includes(subdomain)) {
    return ['discard', 'invalid settings'];
  }
  if (!SENT.includes(event.type)) return ['unsupported', `${event.type} is not supported`];
  const base = settings.baseUrl ?? `https://${subdomain}.planhat.com`;
  let response;
  try {
    response = await fetch(`${base}/dock/segment`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${settings.apiKey}:`).toString('base64')}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify(event),
    });
  } catch (error) {
    return ['retry', `connection error: ${error.message}`];
  }
  const text = await response.text();
  if (response.ok) return ['ok', ''];
  if (response.status === 408 || response.status === 429 || response.status >= 500) {
    return ['retry', `Planhat answered ${response.status}`];
  }
  return ['discard', `Planhat answered ${response.status}: ${text}`];
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === '') continue;
  const { id, event, settings } = JSON.parse(line);
  console.error(`node_dest: ${event.type} ${event.messageId}`); // logs go to stderr
  const [outcome, message] = await deliver(event, settings);
  process.stdout.write(`${JSON.stringify({ id, outcome, message })}\n`);
}
