#!/usr/bin/env node
// A Segment -> Planhat destination, profile `segment`, in Node.js 20 with no npm dependencies,
// run as a command target: one NDJSON request per line on stdin, one answer per line on stdout
// (conformance/harness/README.md). Logs go to stderr.
//
// The rules it follows (docs/contract.md):
// - S-1: bad settings (apiKey missing or empty, subdomain outside the list) -> discard, nothing
//   sent.
// - T-4: integrations that disable Planhat -> ok, nothing sent (names are case-sensitive).
// - T-1 / T-2 / T-3: identify, track, page, group are sent; alias is skipped (ok); any other
//   type -> unsupported.
// - W-1 .. W-3: one POST {baseUrl or https://{subdomain}.planhat.com}/dock/segment with
//   Authorization: Basic base64(apiKey + ":") and Content-Type: application/json.
// - W-4, W-6: the body is the event's own JSON text, cut out of the input line unparsed.
//   JSON.parse + JSON.stringify would turn 9007199254740993 into 9007199254740992 (W-4: nothing
//   re-typed); the raw text keeps every digit. The kit's input lines are ASCII JSON, so the
//   body is too: valid UTF-8, every string exact.
// - O-1 .. O-3: 2xx -> ok; a network error, timeout, 408, 429 or 5xx -> retry (Segment
//   retries; no internal retry, so W-5 holds: one request per delivery); other 4xx -> discard.
//
// The behaviour lives in the `destination` object, one method per decision, so a variant (or a
// mutant of the kit's self-test) replaces exactly one: `serve({...destination, body(raw) {…}})`.

import { realpathSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const SUBDOMAINS = ['api', 'api-eu', 'analytics'];
const DELIVERED = new Set(['identify', 'track', 'page', 'group']); // T-1
const SKIPPED = new Set(['alias']); // T-2: Planhat ignores alias (P-9)
const TIMEOUT_MS = 8000; // below the kit's 10 s per event

/** An outcome other than ok, with the message the kit shows. */
export class Outcome extends Error {
  constructor(outcome, message) {
    super(message);
    this.outcome = outcome;
  }
}

export const destination = {
  /** S-1 and W-1: the intake URL and the apiKey, or a discard for bad settings. */
  configure(settings) {
    const apiKey = settings.apiKey;
    if (typeof apiKey !== 'string' || apiKey === '') {
      throw new Outcome('discard', 'the apiKey setting (Planhat tenant token) is missing or empty');
    }
    const subdomain = settings.subdomain ?? 'api';
    if (!SUBDOMAINS.includes(subdomain)) {
      throw new Outcome(
        'discard',
        `the subdomain setting must be one of ${SUBDOMAINS.join(', ')}, not ${JSON.stringify(subdomain)}`,
      );
    }
    const origin = settings.baseUrl ? settings.baseUrl.replace(/\/+$/, '') : `https://${subdomain}.planhat.com`;
    return { url: `${origin}/dock/segment`, apiKey };
  },

  /** T-4: "Planhat": false, or "All": false unless Planhat is switched on (true or options). */
  enabled(integrations) {
    if (integrations === null || typeof integrations !== 'object' || Array.isArray(integrations)) {
      return true;
    }
    const planhat = integrations.Planhat;
    if (planhat === false) return false;
    const switchedOn = planhat === true || (planhat !== null && typeof planhat === 'object');
    return integrations.All !== false || switchedOn;
  },

  /** W-2: the tenant token as user name, empty password. */
  authorization(apiKey) {
    return `Basic ${Buffer.from(`${apiKey}:`, 'utf8').toString('base64')}`;
  },

  /** W-4: the event's JSON text exactly as it arrived. */
  body(rawEvent) {
    return rawEvent;
  },

  /** O-1 .. O-3 from Planhat's answer. */
  judge(status, detail) {
    if (status >= 200 && status < 300) return;
    const problem = `Planhat answered ${status}: ${detail}`;
    if (status === 408 || status === 429 || status >= 500) throw new Outcome('retry', problem);
    throw new Outcome('discard', problem);
  },

  /** O-2: a request that got no answer. */
  unreachable(error) {
    const cause = error.cause ? ` (${error.cause.code || error.cause.message})` : '';
    throw new Outcome('retry', `Planhat could not be reached: ${error.name}: ${error.message}${cause}`);
  },

  /** One event: resolves for ok, throws an Outcome otherwise. */
  async deliver(event, rawEvent, settings) {
    const { url, apiKey } = this.configure(settings);
    if (!this.enabled(event.integrations)) return 'integrations switch Planhat off'; // T-4
    if (SKIPPED.has(event.type)) return 'alias is not sent: Planhat ignores it'; // T-2
    if (!DELIVERED.has(event.type)) {
      throw new Outcome('unsupported', `event type ${JSON.stringify(event.type)} is not supported by Planhat`);
    }
    let response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { Authorization: this.authorization(apiKey), 'Content-Type': 'application/json' },
        body: this.body(rawEvent),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      this.unreachable(error);
    }
    const detail = (await response.text().catch(() => '')).slice(0, 200);
    this.judge(response.status, detail);
    return `Planhat answered ${response.status}`;
  },
};

// --- the raw "event" member of an input line -------------------------------------------------

function skipSpace(text, i) {
  while (i < text.length && ' \t\r\n'.includes(text[i])) i += 1;
  return i;
}

/** The index just past the string starting at text[i] (a '"'), escapes respected. */
function skipString(text, i) {
  for (let j = i + 1; j < text.length; j += 1) {
    if (text[j] === '\\') j += 1;
    else if (text[j] === '"') return j + 1;
  }
  throw new SyntaxError('unterminated string');
}

/** The index just past the JSON value starting at text[i]. */
function skipValue(text, i) {
  const first = text[i];
  if (first === '"') return skipString(text, i);
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j += 1) {
      const c = text[j];
      if (c === '"') j = skipString(text, j) - 1;
      else if (c === '{' || c === '[') depth += 1;
      else if (c === '}' || c === ']') {
        depth -= 1;
        if (depth === 0) return j + 1;
      }
    }
    throw new SyntaxError('unterminated container');
  }
  let j = i; // a number, true, false or null
  while (j < text.length && !',}] \t\r\n'.includes(text[j])) j += 1;
  return j;
}

/** The source text of member `name` of the JSON object `text` (already known to be valid JSON),
 * or undefined when there is none. */
export function rawMember(text, name) {
  let i = skipSpace(text, 0);
  if (text[i] !== '{') throw new SyntaxError('the line is not a JSON object');
  i = skipSpace(text, i + 1);
  while (text[i] === '"') {
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd));
    const start = skipSpace(text, skipSpace(text, keyEnd) + 1); // past the ':'
    const end = skipValue(text, start);
    if (key === name) return text.slice(start, end);
    i = skipSpace(text, end);
    if (text[i] === ',') i = skipSpace(text, i + 1);
  }
  return undefined;
}

// --- the NDJSON loop ----------------------------------------------------------------------------

async function answer(dest, line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch (error) {
    return { id: null, outcome: 'error', message: `the input line is not JSON: ${error.message}` };
  }
  const id = request.id;
  try {
    const rawEvent = rawMember(line, 'event');
    const said = await dest.deliver(request.event, rawEvent, request.settings ?? {});
    return { id, outcome: 'ok', message: said ?? '' };
  } catch (error) {
    if (error instanceof Outcome) return { id, outcome: error.outcome, message: error.message };
    console.error(error);
    return { id, outcome: 'error', message: `${error.name}: ${error.message}` }; // O-4: visible
  }
}

/** Answer every line of stdin, in order, until stdin closes. */
export async function serve(dest = destination) {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    process.stdout.write(`${JSON.stringify(await answer(dest, line))}\n`);
  }
}

function isMain() {
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) await serve();
