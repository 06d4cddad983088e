// kcat 1.7 (Debian, librdkafka 2.0) against a real cluster: every scenario of tools/compat/scenarios.ts it supports (see docs/compatibility.md).
import { describeClient } from './compat-suite';

describeClient('kcat');
