#!/usr/bin/env node
// The package's `pulse` bin: the CLI is TypeScript run through tsx, so installing needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
