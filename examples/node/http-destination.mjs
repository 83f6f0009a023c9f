// The destination behind HTTP, fed like Segment's webhook (target kind `http://`):
//   node http-destination.mjs 8700 &
//   planhat-conformance run --target http://127.0.0.1:8700/
// The body is the event, forwarded as received (W-4: even integers past 2^53 stay exact);
// the settings arrive as JSON in the X-Planhat-Settings header. Status = outcome.
import { createServer } from 'node:http';
import { deliver } from './planhat.mjs';

const STATUS = { retry: 503, discard: 400, unsupported: 501 };

const server = createServer(async (request, response) => {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  const raw = Buffer.concat(chunks).toString('utf8');
  let status = 200;
  let message;
  try {
    message = await deliver(JSON.parse(raw), JSON.parse(request.headers['x-planhat-settings'] ?? '{}'), raw);
  } catch (error) {
    status = STATUS[error.outcome] ?? 500;
    message = error.message;
  }
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify({ message }));
});

server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(`http://127.0.0.1:${server.address().port}/`); // the first line: the URL
});
