// Mutant of conformance/reference/segment_node.mjs: a request that got no answer (connection
// refused or cut, timeout) is reported as discard instead of retry (rule O-2).
import { destination, Outcome, serve } from '../../reference/segment_node.mjs';

await serve({
  ...destination,
  unreachable(error) {
    throw new Outcome('discard', `Planhat could not be reached: ${error.message}`);
  },
});
