export { consoleConfigDef } from './config';
