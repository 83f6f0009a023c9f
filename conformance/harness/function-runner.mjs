// Runs a Segment Destination Function file under Node 20 for the conformance kit.
//
//   node function-runner.mjs <function.js> [--hosts '{"api": "http://127.0.0.1:P", ...}'] [--limit-ms 5000]
//
// Speaks the kit's NDJSON protocol (README.md beside this file): one request per stdin line,
// {"id", "event", "settings"}, one answer per stdout line, {"id", "outcome", "message"}.
// The function's console goes to stderr so stdout carries only answers.
// No npm dependencies: node: built-ins only.

import { AsyncLocalStorage } from 'node:async_hooks';
import { Buffer } from 'node:buffer';
import { Console } from 'node:console';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import vm from 'node:vm';

const USAGE = 'usage: node function-runner.mjs <function.js> [--hosts JSON] [--limit-ms N] [--check]';

// Segment calls one handler per event type; a missing handler is EventNotSupported.
const HANDLERS = new Map([
  ['identify', 'onIdentify'],
  ['track', 'onTrack'],
  ['page', 'onPage'],
  ['group', 'onGroup'],
  ['screen', 'onScreen'],
  ['alias', 'onAlias'],
  ['delete', 'onDelete'],
]);

// Segment's error classes -> the kit's outcomes (rules O-1 … O-4); anything else is "error" (O-4).
const OUTCOME_OF_ERROR = new Map([
  ['RetryError', 'retry'],
  ['ValidationError', 'discard'],
  ['InvalidEventPayload', 'discard'],
  ['EventNotSupported', 'unsupported'],
]);

// The Functions runtime's error classes, defined inside the function's own realm so that
// `instanceof Error` holds there.
const PRELUDE = `
class RetryError extends Error { constructor(message) { super(message); this.name = 'RetryError'; } }
class ValidationError extends Error { constructor(message) { super(message); this.name = 'ValidationError'; } }
class InvalidEventPayload extends Error { constructor(message) { super(message); this.name = 'InvalidEventPayload'; } }
class EventNotSupported extends Error { constructor(message) { super(message); this.name = 'EventNotSupported'; } }
Object.assign(globalThis, { RetryError, ValidationError, InvalidEventPayload, EventNotSupported });
`;

function fail(message) {
  process.stderr.write(`function-runner: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = { file: null, hosts: {}, limitMs: 5000, check: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--check') {
      options.check = true; // load the file, report whether it loads, and exit
    } else if (arg === '--hosts' || arg === '--limit-ms') {
      const value = argv[i + 1];
      if (value === undefined) fail(`${arg} needs a value\n${USAGE}`);
      i += 1;
      if (arg === '--hosts') {
        try {
          options.hosts = JSON.parse(value);
        } catch (error) {
          fail(`--hosts is not JSON: ${error.message}`);
        }
        if (typeof options.hosts !== 'object' || options.hosts === null || Array.isArray(options.hosts)) {
          fail('--hosts must be a JSON object {"<subdomain>": "http://127.0.0.1:<port>"}');
        }
      } else {
        options.limitMs = Number(value);
        if (!Number.isFinite(options.limitMs) || options.limitMs <= 0) fail('--limit-ms must be a positive number');
      }
    } else if (options.file === null) {
      options.file = arg;
    } else {
      fail(`unexpected argument ${JSON.stringify(arg)}\n${USAGE}`);
    }
  }
  if (options.file === null) fail(USAGE);
  return options;
}

const major = Number(process.versions.node.split('.')[0]);
if (major < 20) fail(`Node 20 or newer is needed (this is ${process.version})`);

const options = parseArgs(process.argv.slice(2));
const invocation = new AsyncLocalStorage(); // which event a fetch belongs to

// --- fetch: Planhat hosts go to the kit's loopback ports ---------------------------------------

function networkError(reason) {
  return new TypeError('fetch failed', { cause: new Error(reason) });
}

// https://<subdomain>.planhat.com/... -> the loopback server standing for that subdomain, so the
// fake sees the request and the kit still knows which host the function chose.
function rewrite(url) {
  const match = /^([a-z0-9-]+)\.planhat\.com$/i.exec(url.hostname);
  if (match === null) return url; // not Planhat: fetched normally
  const subdomain = match[1].toLowerCase();
  if (url.protocol !== 'https:') {
    throw networkError(`the conformance kit serves Planhat over https only; refused ${url.href}`);
  }
  const base = options.hosts[subdomain];
  if (typeof base !== 'string') {
    const served = Object.keys(options.hosts).join(', ') || 'none';
    throw networkError(`getaddrinfo ENOTFOUND ${url.hostname} (the kit serves: ${served})`);
  }
  return new URL(url.pathname + url.search, base);
}

async function kitFetch(input, init = {}) {
  const current = invocation.getStore();
  if (current?.controller.signal.aborted) {
    throw networkError('this invocation has ended; its requests are cancelled');
  }
  let url;
  let requestInit = init;
  if (input instanceof Request) {
    url = new URL(input.url);
    const hasBody = !['GET', 'HEAD'].includes(input.method);
    requestInit = {
      method: input.method,
      headers: input.headers,
      body: hasBody ? await input.arrayBuffer() : undefined,
      redirect: input.redirect,
      signal: input.signal,
      ...init,
    };
  } else {
    url = new URL(String(input));
  }
  const signals = [requestInit.signal, current?.controller.signal].filter(Boolean);
  const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  return fetch(rewrite(url), { ...requestInit, signal });
}

// --- the function's realm ----------------------------------------------------------------------

const functionConsole = new Console({ stdout: process.stderr, stderr: process.stderr });
const context = vm.createContext(
  {
    fetch: kitFetch,
    Request,
    Response,
    Headers,
    FormData,
    AbortController,
    AbortSignal,
    URL,
    URLSearchParams,
    TextEncoder,
    TextDecoder,
    Buffer,
    btoa,
    atob,
    crypto,
    console: functionConsole,
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    setImmediate,
    clearImmediate,
    queueMicrotask,
    structuredClone,
  },
  { name: 'Segment Destination Function' },
);
vm.runInContext(PRELUDE, context, { filename: 'segment-functions-runtime.js' });
const contextJSON = vm.runInContext('JSON', context); // events are parsed into the function's realm

let source;
try {
  source = readFileSync(options.file, 'utf8');
} catch (error) {
  fail(`cannot read ${options.file}: ${error.message}`);
}
try {
  new vm.Script(source, { filename: options.file }).runInContext(context, { timeout: options.limitMs });
} catch (error) {
  const hint = /\b(import|export)\b/.test(String(error?.message))
    ? ' (a Destination Function is a classic script: no import or export)'
    : '';
  fail(`${options.file} failed to load: ${describeError(error)}${hint}`);
}

if (options.check) process.exit(0);

// A top-level `async function onX` is a property of the global; `const onX = ...` is not, but is
// visible to later scripts, so look the name up by evaluating it.
const lookups = new Map();
function handlerNamed(name) {
  if (!lookups.has(name)) {
    lookups.set(name, new vm.Script(`typeof ${name} === 'function' ? ${name} : undefined`));
  }
  return lookups.get(name).runInContext(context);
}

// The call runs as a script so the synchronous part is bound by vm's timeout too.
const CALL = new vm.Script('globalThis.__conformanceCall__()', { filename: 'invoke' });

// --- outcomes ----------------------------------------------------------------------------------

function errorNames(error) {
  const names = [];
  if (error !== null && (typeof error === 'object' || typeof error === 'function')) {
    for (let proto = Object.getPrototypeOf(error); proto !== null; proto = Object.getPrototypeOf(proto)) {
      const name = proto.constructor?.name;
      if (typeof name === 'string') names.push(name);
    }
    if (typeof error.name === 'string') names.push(error.name);
  }
  return names;
}

function describeError(error) {
  if (error !== null && typeof error === 'object' && typeof error.message === 'string') {
    const name = typeof error.name === 'string' ? error.name : 'Error';
    const cause = error.cause?.message ? ` (cause: ${error.cause.message})` : '';
    return `${name}: ${error.message}${cause}`;
  }
  return String(error);
}

function outcomeOf(error) {
  for (const name of errorNames(error)) {
    const outcome = OUTCOME_OF_ERROR.get(name);
    if (outcome !== undefined) return { outcome, message: describeError(error) };
  }
  return { outcome: 'error', message: describeError(error) };
}

// --- one event ---------------------------------------------------------------------------------

class TimedOut extends Error {}

async function invoke(handler, event, settings) {
  const state = { controller: new AbortController() };
  let timer;
  try {
    return await invocation.run(state, async () => {
      const limit = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new TimedOut()), options.limitMs);
      });
      context.__conformanceCall__ = () => handler(
        contextJSON.parse(JSON.stringify(event)),
        contextJSON.parse(JSON.stringify(settings)),
      );
      let pending;
      try {
        pending = CALL.runInContext(context, { timeout: options.limitMs });
      } finally {
        delete context.__conformanceCall__;
      }
      await Promise.race([Promise.resolve(pending), limit]);
      return { outcome: 'ok', message: '' };
    });
  } catch (error) {
    if (error instanceof TimedOut || error?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      // Segment retries a Function that runs past its time limit (rule O-2): not a defect
      return { outcome: 'retry', message: `Timeout: ran past ${options.limitMs / 1000} s (Segment's execution limit); Segment retries it` };
    }
    return outcomeOf(error);
  } finally {
    clearTimeout(timer);
    // Segment freezes a function once it answers: its requests still in flight are cancelled,
    // and later ones refused, so they cannot land on the next event.
    state.controller.abort(new Error('the invocation ended'));
  }
}

async function handle(request) {
  const { id, event, settings } = request;
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    return { id, outcome: 'error', message: 'the request has no event object' };
  }
  const name = HANDLERS.get(event.type);
  if (name === undefined) {
    return { id, outcome: 'unsupported', message: `EventNotSupported: ${JSON.stringify(event.type)} events have no handler in Segment Functions` };
  }
  const handler = handlerNamed(name);
  if (handler === undefined) {
    return { id, outcome: 'unsupported', message: `EventNotSupported: ${options.file} defines no ${name}` };
  }
  return { id, ...(await invoke(handler, event, settings ?? {})) };
}

// Left-over work of an ended invocation (a cancelled request, a throwing timer) must not stop
// the harness; Segment would not report it either.
process.on('unhandledRejection', (reason) => {
  functionConsole.error(`function-runner: unhandled rejection: ${describeError(reason)}`);
});
process.on('uncaughtException', (error) => {
  functionConsole.error(`function-runner: uncaught exception: ${describeError(error)}`);
});

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === '') continue;
  let request;
  try {
    request = JSON.parse(line);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ id: null, outcome: 'error', message: `function-runner: input line is not JSON: ${error.message}` })}\n`);
    continue;
  }
  const answer = await handle(request ?? {});
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
process.exit(0);
