// kafkajs 2.2.4 (npm) against a real cluster: every scenario of tools/compat/scenarios.ts it supports (see docs/compatibility.md).
import { describeClient } from './compat-suite';

describeClient('kafkajs');
