// Mutant of conformance/reference/segment_node.mjs: the body is re-serialised with
// JSON.stringify(JSON.parse(raw)), so integers above 2**53 lose digits (rule W-4).
import { destination, serve } from '../../reference/segment_node.mjs';

await serve({
  ...destination,
  body(rawEvent) {
    return JSON.stringify(JSON.parse(rawEvent));
  },
});
