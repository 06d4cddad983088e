import type { RequestContext, TelemetryClient } from './ports';

/** The connection's client as KIP-714 selectors see it. */
export function telemetryClientOf(ctx: RequestContext): TelemetryClient {
  return {
    clientId: ctx.clientId ?? '',
    softwareName: ctx.session?.clientSoftwareName ?? '',
    softwareVersion: ctx.session?.clientSoftwareVersion ?? '',
    sourceAddress: ctx.session?.host ?? ctx.clientHost.replace(/^\//, ''),
    sourcePort: ctx.session?.port ?? 0,
    principal: ctx.session?.principal ?? 'User:ANONYMOUS',
  };
}
