// A Segment -> Planhat Destination Function, written the way Segment's docs show: top-level
// handlers, the runtime's global fetch and btoa, and its error classes. Used by the kit's tests.
// It has no onDelete: delete events are therefore unsupported (EventNotSupported).

const SUBDOMAINS = ['api', 'api-eu', 'analytics'];

async function sendToPlanhat(event, settings) {
  const subdomain = settings.subdomain || 'api';
  if (!settings.apiKey) throw new ValidationError('apiKey is required');
  if (!SUBDOMAINS.includes(subdomain)) throw new ValidationError(`unknown subdomain ${subdomain}`);
  let response;
  try {
    response = await fetch(`https://${subdomain}.planhat.com/dock/segment`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${btoa(settings.apiKey + ':')}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify(event),
    });
  } catch (error) {
    throw new RetryError(error.message);
  }
  if (response.status >= 500 || response.status === 429 || response.status === 408) {
    throw new RetryError(`Planhat answered ${response.status}`);
  }
  if (!response.ok) {
    throw new ValidationError(`Planhat answered ${response.status}: ${await response.text()}`);
  }
}

async function onIdentify(event, settings) {
  await sendToPlanhat(event, settings);
}

async function onTrack(event, settings) {
  await sendToPlanhat(event, settings);
}

async function onPage(event, settings) {
  await sendToPlanhat(event, settings);
}

async function onGroup(event, settings) {
  await sendToPlanhat(event, settings);
}

async function onAlias(event, settings) {
  await sendToPlanhat(event, settings);
}

async function onScreen(event, settings) {
  throw new EventNotSupported('screen is not supported');
}
