// DescribeCluster (60)
// Behavior: the brokers are the live gateways at the address of the client's listener, the same
//   node ids Metadata and FindCoordinator name; the controller id is the answering gateway (as in
//   Metadata: any gateway takes admin requests). With include_cluster_authorized_operations, the
//   operations the principal may perform on the cluster as Kafka's bit field.
// Version notes: v1 adds endpoint_type: 1 (brokers) is served; 2 (controllers) answers
//   UNSUPPORTED_ENDPOINT_TYPE, as a Kafka broker does. v2 (KIP-1073) adds include_fenced_brokers
//   and a per-broker is_fenced: the brokers listed are live gateways, never fenced, so the list
//   is the same either way and is_fenced is false.
// Not implemented: nothing known.
import { ErrorCode } from '@dms/kafka-errors';
import { clusterAuthorized, Operation } from './authorize';
import type { KafkaHandler } from './handler';

const UNSET_OPERATIONS = -2147483648;
/** The operations Kafka defines on the cluster resource. */
const CLUSTER_OPERATIONS = [Operation.CREATE, Operation.ALTER, Operation.DESCRIBE, Operation.CLUSTER_ACTION, Operation.DESCRIBE_CONFIGS, Operation.ALTER_CONFIGS, Operation.IDEMPOTENT_WRITE];

export const describeClusterHandler: KafkaHandler = {
  apiKey: 60,
  name: 'DescribeCluster',
  minVersion: 0,
  maxVersion: 2,
  acl: { none: 'lists the gateways as Metadata does, which Kafka answers to any authenticated client; authorized operations are computed per principal' },
  handle(ctx, req: any, version) {
    const endpointType = version >= 1 ? req.endpointType ?? 1 : 1;
    const base = { throttleTimeMs: 0, endpointType, clusterId: ctx.cluster.clusterId() ?? '', clusterAuthorizedOperations: UNSET_OPERATIONS };
    if (endpointType !== 1) {
      return { ...base, errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: 'The request was sent to an endpoint of type BROKER, but it only serves BROKER endpoints', controllerId: -1, brokers: [] };
    }
    let ops = UNSET_OPERATIONS;
    if (req.includeClusterAuthorizedOperations) {
      ops = 0;
      for (const op of CLUSTER_OPERATIONS) if (clusterAuthorized(ctx, op)) ops |= 1 << op;
    }
    return {
      ...base,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      controllerId: ctx.cluster.controllerId(),
      brokers: ctx.cluster.nodes(ctx.session?.listenerName).map((n) => ({ brokerId: n.nodeId, host: n.host, port: n.port, rack: n.rack, isFenced: false })),
      clusterAuthorizedOperations: ops,
    };
  },
};
