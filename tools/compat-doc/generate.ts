/**
 * Writes the API-version table of docs/compatibility.md from the descriptors and the handler
 * registry (libs/kafka/handlers/src/compatibility.ts). Run from anywhere: tools/compat-doc/run.sh
 */
import * as fs from 'fs';
import { withCompatibilityTable } from '../../libs/kafka/handlers/src/compatibility';

const PAGE = 'docs/compatibility.md';
fs.writeFileSync(PAGE, withCompatibilityTable(fs.readFileSync(PAGE, 'utf8')));
console.log(`compat-doc: wrote the API-version table of ${PAGE}`);
