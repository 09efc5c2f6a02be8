/**
 * The SSRF guard as an operator running Pulse next to its callback receivers would configure it
 * (`PULSE_ALLOWED_HOSTS=127.0.0.1`): every destination is still checked, and the receivers' address passes.
 */
import { createDestinationGuard, type DestinationGuard } from '../../src/security/ssrf-guard.js';

export function benchDestinationGuard(): DestinationGuard {
  return createDestinationGuard({ allowPrivateNetworks: false, allowedHosts: ['127.0.0.1'] });
}
