/**
 * What one run writes into its history, event by event, for Pulse and the baseline: a herd task of each side
 * (`instant` kind, due two seconds ahead) on a fresh dev server, run to its callback, then each event's size as
 * the server stores it (protobuf bytes). Issue 14: Pulse's state writes cost more per write than the baseline's.
 *
 *   npx tsx bench/diagnostics/history-bytes.ts
 */
import proto from '@temporalio/proto';
import { startStack } from '../lib/stack.js';

const { temporal } = proto;

const stack = await startStack({ sides: ['pulse', 'baseline'] });
try {
  for (const side of stack.sides) {
    const taskId = await side.schedule({ dueAtMs: Date.now() + 2000, kind: 'instant' });
    await stack.receiver.waitFor([taskId], 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const history = await stack.client.workflow.getHandle(taskId).fetchHistory();
    let total = 0;
    console.log(`\n${side.name} (${taskId}):`);
    for (const event of history.events ?? []) {
      const bytes = temporal.api.history.v1.HistoryEvent.encode(event).finish().length;
      total += bytes;
      const type = temporal.api.enums.v1.EventType[event.eventType ?? 0];
      console.log(`  ${String(event.eventId).padStart(2)} ${String(bytes).padStart(5)} B  ${type}`);
    }
    console.log(`  total ${total} B in ${history.events?.length} events`);
    const description = await stack.client.workflow.getHandle(taskId).describe();
    const memo = JSON.stringify(description.memo ?? {});
    console.log(
      `  memo ${memo.length} B as JSON, search attributes: ${Object.keys(description.searchAttributes).length}`,
    );
  }
} finally {
  await stack.stop();
}
