// Mutant of conformance/reference/segment_node.mjs: Basic credentials without the trailing
// colon, base64(apiKey) instead of base64(apiKey + ":") (rule W-2).
import { destination, serve } from '../../reference/segment_node.mjs';

await serve({
  ...destination,
  authorization(apiKey) {
    return `Basic ${Buffer.from(apiKey, 'utf8').toString('base64')}`;
  },
});
