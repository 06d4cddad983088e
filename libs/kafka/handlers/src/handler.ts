import type { RequestContext } from './ports';

/** Resource types and operations by Kafka's names (see authorize.ts for their wire codes). */
export type AclResource = 'TOPIC' | 'GROUP' | 'CLUSTER' | 'TRANSACTIONAL_ID';
export type AclOperation = 'READ' | 'WRITE' | 'CREATE' | 'DELETE' | 'ALTER' | 'DESCRIBE' | 'CLUSTER_ACTION' | 'DESCRIBE_CONFIGS' | 'ALTER_CONFIGS' | 'IDEMPOTENT_WRITE';

/**
 * The ACL checks a handler makes, `RESOURCE:OPERATION` as Kafka documents each API's
 * authorization, or an explicit `none` with the reason (only a few pre-authentication APIs
 * may say so; handler-acl.spec.ts names them).
 */
export type AclDeclaration = readonly `${AclResource}:${AclOperation}`[] | { readonly none: string };

/**
 * One Kafka API. The supported version range lives with the handler, and ApiVersions is
 * computed from the registered handlers, never maintained by hand.
 */
export interface KafkaHandler<Req = any, Res = any> {
  apiKey: number;
  name: string;
  minVersion: number;
  maxVersion: number;
  /**
   * A lower minimum advertised in ApiVersions than served (Produce: Kafka 4 lists v0-v2 for
   * librdkafka's sake and closes the connection of a client that uses them, KAFKA-18659).
   */
  advertisedMinVersion?: number;
  /** Every handler declares its ACL checks; a spec holds the registry to it. */
  acl: AclDeclaration;
  /** Served before the connection has authenticated (ApiVersions and the SASL APIs only). */
  beforeAuthentication?: boolean;
  /** Return undefined to send no response (Produce with acks=0). */
  handle(ctx: RequestContext, request: Req, version: number): Promise<Res | undefined> | Res | undefined;
}
