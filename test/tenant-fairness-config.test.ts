/**
 * With a tenants file, the servers Pulse starts turn Temporal's fairness on (the dev server through `npm start`,
 * the production-shaped cluster through `npm run cluster`), and without one they run exactly as before.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeDynamicConfig } from '../scripts/cluster/temporal.js';
import { loadConfig } from '../src/config.js';
import { SERVER_DYNAMIC_CONFIG, devServerDynamicConfig } from '../src/temporal/dev-server.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pulse-dynconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fairness follows the tenants file', () => {
  it('the dev server gets matching.enableFairness only with tenants', () => {
    expect(devServerDynamicConfig(loadConfig({ PULSE_TENANTS_FILE: '/etc/pulse/tenants.json' }))).toContain(
      'matching.enableFairness=true',
    );
    expect(devServerDynamicConfig(loadConfig({})).join(' ')).not.toContain('Fairness');
  });

  it('the timer batching of PULSE_TIMER_MAX_TIME_SHIFT reaches the dev server through loadConfig', () => {
    expect(devServerDynamicConfig(loadConfig({ PULSE_TIMER_MAX_TIME_SHIFT: ' 100ms ' }))).toContain(
      'history.timerProcessorMaxTimeShift="100ms"',
    );
    expect(devServerDynamicConfig(loadConfig({ PULSE_TIMER_MAX_TIME_SHIFT: '' })).join(' ')).not.toContain(
      'timerProcessorMaxTimeShift',
    );
  });

  it("the cluster's dynamic config gets it too, after the shared settings", () => {
    const withTenants = readFileSync(
      writeDynamicConfig(path.join(dir, 'a'), { PULSE_TENANTS_FILE: '/etc/pulse/tenants.json' }),
      'utf8',
    );
    expect(withTenants).toMatch(/^matching\.enableFairness:\n {2}- value: true$/m);
    expect(withTenants).toMatch(/^frontend\.enableUpdateWorkflowExecution:$/m);
    const without = readFileSync(writeDynamicConfig(path.join(dir, 'b'), {}), 'utf8');
    expect(without).not.toContain('Fairness');
    expect(without).toMatch(/^frontend\.enableUpdateWorkflowExecution:$/m);
  });
});

describe("Pulse's own server settings", () => {
  it('are the same on the dev server and in the cluster (and docker-compose) config, once each', () => {
    expect(SERVER_DYNAMIC_CONFIG).toContain('matching.numTaskqueueWritePartitions=1');
    expect(devServerDynamicConfig(loadConfig({}))).toEqual(SERVER_DYNAMIC_CONFIG);
    const yaml = readFileSync(writeDynamicConfig(path.join(dir, 'c'), {}), 'utf8');
    for (const setting of SERVER_DYNAMIC_CONFIG) {
      const [key, value] = [setting.slice(0, setting.indexOf('=')), setting.slice(setting.indexOf('=') + 1)];
      const escaped = key.replaceAll('.', '\\.');
      expect(yaml.match(new RegExp(`^${escaped}:\\n {2}- value: ${value}$`, 'gm')), key).toHaveLength(1);
    }
  });
});
