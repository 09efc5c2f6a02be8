export { scheduledTask } from './scheduled-task.js';
export { tenantRunSlots } from './tenant-run-slots.js';
