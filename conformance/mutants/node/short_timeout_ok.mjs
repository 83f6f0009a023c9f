// Mutant of conformance/reference/segment_node.mjs: gives up after 100 ms and reports the event
// as delivered, though it never saw Planhat's answer (a timeout is `retry`, rule O-2).
import { destination, Outcome, serve } from '../../reference/segment_node.mjs';

await serve({
  ...destination,
  async deliver(event, rawEvent, settings) {
    const { url, apiKey } = this.configure(settings);
    if (!this.enabled(event.integrations)) return 'integrations switch Planhat off';
    if (!['identify', 'track', 'page', 'group'].includes(event.type)) {
      if (event.type === 'alias') return 'alias is not sent';
      throw new Outcome('unsupported', `event type ${JSON.stringify(event.type)} is not supported`);
    }
    let response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { Authorization: this.authorization(apiKey), 'Content-Type': 'application/json' },
        body: this.body(rawEvent),
        signal: AbortSignal.timeout(100),
      });
    } catch (error) {
      if (error.name === 'TimeoutError') return 'slow, probably fine';
      this.unreachable(error);
    }
    this.judge(response.status, (await response.text().catch(() => '')).slice(0, 200));
    return `Planhat answered ${response.status}`;
  },
});
