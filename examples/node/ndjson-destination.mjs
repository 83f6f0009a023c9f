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
    answer = { id, outcome: 'ok', message: await deliver(event, settings) };
  } catch (error) {
    if (!(error instanceof Outcome)) console.error(error);
    answer = { id, outcome: error.outcome ?? 'error', message: error.message };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
