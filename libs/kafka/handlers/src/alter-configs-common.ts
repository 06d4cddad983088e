// The part AlterConfigs (33) and IncrementalAlterConfigs (44) share: checks at the gateway, then
// one controller call for the resources that pass.
import { ErrorCode } from '@dms/kafka-errors';
import { Operation } from './authorize';
import { authorizeResource, checkResource, duplicateResources, resourceKey } from './config-resources';
import type { ConfigResourceChangeInput, RequestContext } from './ports';

export interface AlterRequestResource extends ConfigResourceChangeInput {
  /** Set when the resource type is one this API refuses. */
  unsupported?: string;
}

const CONTROLLER_TIMEOUT_MS = 30_000;

export async function alterConfigsResponses(ctx: RequestContext, resources: AlterRequestResource[], validateOnly: boolean) {
  const dups = duplicateResources(resources);
  const answers = new Map<string, { errorCode: number; errorMessage: string | null }>();
  const send: ConfigResourceChangeInput[] = [];
  for (const r of resources) {
    const k = resourceKey(r);
    if (dups.has(k)) {
      answers.set(k, { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Error due to duplicate resources in the request' });
      continue;
    }
    const problem = authorizeResource(ctx, Operation.ALTER_CONFIGS, r.resourceType, r.resourceName) ??
      (r.unsupported ? { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: r.unsupported } : undefined) ??
      checkResource(ctx, r.resourceType, r.resourceName);
    if (problem) answers.set(k, problem);
    else send.push({ resourceType: r.resourceType, resourceName: r.resourceName, replace: r.replace, changes: r.changes });
  }
  if (send.length > 0) {
    const outcomes = await ctx.controller.alterConfigs(send, validateOnly, CONTROLLER_TIMEOUT_MS);
    for (const o of outcomes) answers.set(resourceKey(o), { errorCode: o.errorCode, errorMessage: o.errorMessage });
    // Read-your-writes through this gateway: answer once its view shows the change.
    const written = outcomes.reduce((max, o) => (o.revision > max ? o.revision : max), 0n);
    if (written > 0n) await ctx.cluster.awaitRevision(written, 5_000);
  }
  return resources.map((r) => ({
    resourceType: r.resourceType,
    resourceName: r.resourceName,
    ...(answers.get(resourceKey(r)) ?? { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'no answer for this resource' }),
  }));
}
