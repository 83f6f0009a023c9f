// A Segment -> Planhat Destination Function (profile segment), written as Segment's docs show:
// top-level handlers, the runtime's global fetch and btoa, and its error classes. The kit runs
// it with `--target reference:segment_function` (or `function:<this file>`) under Node 20.
//
// - S-1: a missing apiKey or an unknown subdomain rejects every event (ValidationError).
// - T-1 .. T-4: identify, track, page, group are sent; alias is sent too (Planhat ignores it);
//   screen and other types are not supported; `integrations` can switch Planhat off, and an
//   options object `"Planhat": {...}` switches it on, also under `"All": false`.
// - W-1 .. W-4: POST https://{subdomain}.planhat.com/dock/segment, Basic base64(apiKey + ":"),
//   the event itself as the JSON body.
// - O-1 .. O-3, O-5: any 2xx is ok; no answer, 408, 429 or 5xx: RetryError; other 4xx:
//   ValidationError (410 and 460 are dropped, 501 and 505 retried: O-5 accepts either).

const SUBDOMAINS = ['api', 'api-eu', 'analytics'];
const TIMEOUT_MS = 4000; // below Segment's 5 s limit, so a slow Planhat is a RetryError

function enabled(integrations) {
  if (integrations === null || typeof integrations !== 'object' || Array.isArray(integrations)) {
    return true;
  }
  const planhat = integrations.Planhat;
  if (planhat === false) return false;
  if (planhat === true || (planhat !== null && typeof planhat === 'object')) return true;
  return integrations.All !== false;
}

async function sendToPlanhat(event, settings) {
  const subdomain = settings.subdomain === undefined || settings.subdomain === null
    ? 'api' : settings.subdomain;
  if (typeof settings.apiKey !== 'string' || settings.apiKey === '') {
    throw new ValidationError('the apiKey setting (Planhat tenant token) is missing or empty');
  }
  if (!SUBDOMAINS.includes(subdomain)) {
    throw new ValidationError(`the subdomain setting must be one of ${SUBDOMAINS.join(', ')}`);
  }
  if (!enabled(event.integrations)) return;
  let response;
  try {
    response = await fetch(`https://${subdomain}.planhat.com/dock/segment`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${btoa(unescape(encodeURIComponent(settings.apiKey + ':')))}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new RetryError(`Planhat could not be reached: ${error.message}`);
  }
  const status = response.status;
  if (status >= 200 && status < 300) return;
  const detail = (await response.text().catch(() => '')).slice(0, 200);
  if (status === 408 || status === 429 || status >= 500) {
    throw new RetryError(`Planhat answered ${status}: ${detail}`);
  }
  throw new ValidationError(`Planhat answered ${status}: ${detail}`);
}

async function onIdentify(event, settings) { await sendToPlanhat(event, settings); }
async function onTrack(event, settings) { await sendToPlanhat(event, settings); }
async function onPage(event, settings) { await sendToPlanhat(event, settings); }
async function onGroup(event, settings) { await sendToPlanhat(event, settings); }
async function onAlias(event, settings) { await sendToPlanhat(event, settings); }
