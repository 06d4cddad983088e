import type { RequestContext } from './ports';

/**
 * One Kafka API. The supported version range lives with the handler, and ApiVersions is
 * computed from the registered handlers, never maintained by hand.
 */
export interface KafkaHandler<Req = any, Res = any> {
  apiKey: number;
  name: string;
  minVersion: number;
  maxVersion: number;
  /** Served before the connection has authenticated (ApiVersions and the SASL APIs only). */
  beforeAuthentication?: boolean;
  /** Return undefined to send no response (Produce with acks=0). */
  handle(ctx: RequestContext, request: Req, version: number): Promise<Res | undefined> | Res | undefined;
}
