/** A bare Hono app with one route, served like Pulse's API: the floor for HTTP latency on this machine. */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { runChild } from '../lib/child-process.js';

runChild<Record<string, never>>(async () => {
  const app = new Hono();
  app.post('/hello', (c) => c.text('hello'));
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started));
  });
  return {
    info: { port: (server.address() as AddressInfo).port },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});
