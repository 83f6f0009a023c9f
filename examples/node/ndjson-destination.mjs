// The destination as a command speaking NDJSON over stdin/stdout (target kind `cmd:`):
//   planhat-conformance run --target "cmd:node ndjson-destination.mjs"
// One request a line in, {"id", "outcome", "message"} a line out, in order; logs to stderr.
import { createInterface } from 'node:readline';
import { deliver, Outcome } from './planhat.mjs';

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (line.trim() === '') continue;
  const { id, event, settings } = JSON.parse(line);
  let answer;
  try {
    // W-4: send the event's own text, so integers above 2^53 keep every digit
    answer = { id, outcome: 'ok', message: await deliver(event, settings, rawMember(line, 'event')) };
  } catch (error) {
    if (!(error instanceof Outcome)) console.error(error);
    answer = { id, outcome: error.outcome ?? 'error', message: error.message };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}

// --- the raw "event" member of an input line (JSON.parse would round big integers) ------------

function skipSpace(text, i) {
  while (i < text.length && ' \t\r\n'.includes(text[i])) i += 1;
  return i;
}

function skipString(text, i) {
  for (let j = i + 1; j < text.length; j += 1) {
    if (text[j] === '\\') j += 1;
    else if (text[j] === '"') return j + 1;
  }
  throw new SyntaxError('unterminated string');
}

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

/** The source text of member `name` of the (valid) JSON object `text`. */
function rawMember(text, name) {
  let i = skipSpace(text, 0);
  i = skipSpace(text, i + 1);
  while (text[i] === '"') {
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd));
    const start = skipSpace(text, skipSpace(text, keyEnd) + 1);
    const end = skipValue(text, start);
    if (key === name) return text.slice(start, end);
    i = skipSpace(text, end);
    if (text[i] === ',') i = skipSpace(text, i + 1);
  }
  return undefined;
}
