/** `npm run api`: only the HTTP API, against TEMPORAL_ADDRESS (default 127.0.0.1:7233). */
import { runPulse } from './run.js';

await runPulse({ api: true, worker: false, embeddedServer: false });
