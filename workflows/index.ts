export { scheduledTask } from './scheduled-task.js';
