// A Segment Destination Function for Planhat, written as Segment's docs show: a classic script
// with one top-level handler per event type, the runtime's fetch and its error classes.
//   planhat-conformance run --target function:function.js
// Paste it into Segment as it is. A Function knows only Segment's settings (apiKey, subdomain):
// the kit's harness sends https://<subdomain>.planhat.com to the fake.

const SUBDOMAINS = ['api', 'api-eu', 'analytics'];

async function sendToPlanhat(event, settings) {
  const subdomain = settings.subdomain || 'api';
  if (!settings.apiKey) throw new ValidationError('the apiKey setting is missing'); // S-1
  if (!SUBDOMAINS.includes(subdomain)) throw new ValidationError(`unknown subdomain ${subdomain}`);
  const integrations = event.integrations || {}; // T-4
  const planhat = integrations.Planhat;
  const on = planhat === true || (planhat !== null && typeof planhat === 'object');
  if (planhat === false || (integrations.All === false && !on)) return;
  let response;
  try {
    response = await fetch(`https://${subdomain}.planhat.com/dock/segment`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${btoa(settings.apiKey + ':')}`, // W-2: no password
        'Content-Type': 'application/json',
      },
      body: JSON.stringify(event), // W-4: the event itself
    });
  } catch (error) {
    throw new RetryError(`Planhat could not be reached: ${error.message}`); // O-2
  }
  if (response.status === 408 || response.status === 429 || response.status >= 500) {
    throw new RetryError(`Planhat answered ${response.status}`); // O-2
  }
  if (!response.ok) {
    throw new ValidationError(`Planhat answered ${response.status}`); // O-3
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

// alias: ok with nothing sent (T-2); Planhat ignores it anyway.
async function onAlias(event, settings) {}

// No onScreen, onDelete: those types are unsupported (T-3), as Segment's EventNotSupported.
