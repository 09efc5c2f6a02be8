/** `npm run worker`: only the worker, against TEMPORAL_ADDRESS (default 127.0.0.1:7233). */
import { runPulse } from './run.js';

await runPulse({ api: false, worker: true, embeddedServer: false });
