/**
 * `npm start`: the whole service in one command. Without TEMPORAL_ADDRESS it provisions the `temporal` CLI and
 * runs an embedded dev server (SQLite under .pulse-data/, Web UI on 8233), then the worker and the API.
 */
import { runPulse } from '../src/main/run.js';

await runPulse({ api: true, worker: true, embeddedServer: true });
