// A Segment -> Planhat destination in Node.js 20, no npm dependencies: the part shared by the
// command (ndjson-destination.mjs) and the webhook (http-destination.mjs).
// deliver() resolves for outcome ok and throws an Outcome for the others.

const SUBDOMAINS = ['api', 'api-eu', 'analytics'];
const SENT = new Set(['identify', 'track', 'page', 'group']); // T-1

export class Outcome extends Error {
  constructor(outcome, message) {
    super(message);
    this.outcome = outcome; // 'retry', 'discard' or 'unsupported'
  }
}

/** Deliver one event. `body` is the event's JSON text to send (W-4: the event itself). */
export async function deliver(event, settings, body = JSON.stringify(event)) {
  // S-1: bad settings reject every event, and nothing is sent
  const apiKey = settings.apiKey;
  const subdomain = settings.subdomain ?? 'api';
  if (typeof apiKey !== 'string' || apiKey.trim() === '') throw new Outcome('discard', 'apiKey is missing');
  if (!SUBDOMAINS.includes(subdomain)) throw new Outcome('discard', `unknown subdomain ${subdomain}`);
  // T-4: the event's integrations can switch Planhat off
  const integrations = event.integrations;
  if (integrations && typeof integrations === 'object') {
    const planhat = integrations.Planhat;
    const on = planhat === true || (planhat !== null && typeof planhat === 'object');
    if (planhat === false || (integrations.All === false && !on)) return 'Planhat switched off';
  }
  if (event.type === 'alias') return 'alias is not sent'; // T-2
  if (!SENT.has(event.type)) throw new Outcome('unsupported', `${event.type} is not sent`); // T-3
  // W-1..W-3: baseUrl is given by the kit (and by your tests); in production it is absent
  const origin = settings.baseUrl ?? `https://${subdomain}.planhat.com`;
  let response;
  try {
    response = await fetch(`${origin}/dock/segment`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${apiKey}:`).toString('base64')}`,
        'Content-Type': 'application/json',
      },
      body,
      signal: AbortSignal.timeout(4000), // inside Segment's 5 s
    });
  } catch (error) {
    throw new Outcome('retry', `Planhat could not be reached: ${error.message}`); // O-2
  }
  const status = response.status;
  if (status === 408 || status === 429 || status >= 500) throw new Outcome('retry', `Planhat answered ${status}`);
  if (status >= 400) throw new Outcome('discard', `Planhat answered ${status}: ${await response.text()}`); // O-3
  return `Planhat answered ${status}`;
}
