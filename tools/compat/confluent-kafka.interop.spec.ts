// confluent-kafka-python 1.7.0 (Debian python3-confluent-kafka, on the system librdkafka) against a real cluster: every scenario of tools/compat/scenarios.ts (see docs/compatibility.md).
import { describeClient } from './compat-suite';

describeClient('confluent-kafka');
