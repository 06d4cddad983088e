// kafka-python 2.0.2 (Debian python3-kafka) against a real cluster: every scenario of tools/compat/scenarios.ts (see docs/compatibility.md).
import { describeClient } from './compat-suite';

describeClient('kafka-python');
