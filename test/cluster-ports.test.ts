/**
 * The ports a production-shaped cluster is started on (tests and benchmarks): the API's and PostgreSQL's are never
 * inside the block the server takes when it starts, whatever the free-port picker hands out.
 */
import { expect, it } from 'vitest';
import { SERVER_PORT_BLOCK, serverPorts } from '../scripts/cluster/options.js';
import { freePortOutsideBlock } from '../scripts/cluster/processes.js';

it('the server block covers every port the server listens on', () => {
  const ports = Object.values(serverPorts(21_213));
  expect(Math.min(...ports)).toBe(21_213);
  expect(Math.max(...ports)).toBe(21_213 + SERVER_PORT_BLOCK - 1);
});

it('a port handed out inside the server block is passed over for the next one outside it', async () => {
  // A fixed sequence stands in for the random picker, which cannot be made to collide on demand. 21221 = 21213 + 8 is
  // the server's worker membership port, which the picker handed to the API in CI.
  const handedOut = [21_221, 21_213, 21_222, 21_223];
  const port = await freePortOutsideBlock(21_213, SERVER_PORT_BLOCK, async () => handedOut.shift()!);
  expect(port).toBe(21_223);
  expect(await freePortOutsideBlock(21_213, SERVER_PORT_BLOCK, async () => 21_212)).toBe(21_212);
});
