// sarama 1.22 (Debian golang-github-shopify-sarama-dev, Version V2_1_0_0) against a real cluster: every scenario of tools/compat/scenarios.ts (see docs/compatibility.md).
import { describeClient } from './compat-suite';

describeClient('sarama');
