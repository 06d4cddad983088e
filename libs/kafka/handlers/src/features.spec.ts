// The feature table, ApiVersions' feature fields and UpdateFeatures (57) against a recording
// controller port and a security port granting only what a test lists.
import { ErrorCode } from '@dms/kafka-errors';
import { featureFields } from './18-api-versions';
import { updateFeaturesHandler } from './57-update-features';
import { Operation, Resource } from './authorize';
import { checkFeatureUpdate, finalizedLevels, supportedFeatures, UpgradeType } from './features';
import type { KafkaHandler } from './handler';
import type { RequestContext, SecurityPort } from './ports';
import { handlers } from './registry';

const served = (keys: [number, number][]): KafkaHandler[] =>
  keys.map(([apiKey, maxVersion]) => ({ apiKey, maxVersion, minVersion: 0, name: String(apiKey), acl: [], handle: () => undefined }));

describe('feature table', () => {
  it('derives each supported range from the APIs served', () => {
    const none = supportedFeatures(served([[26, 4]]));
    expect(none).toEqual([
      { name: 'group.version', minVersion: 0, maxVersion: 0 },
      { name: 'share.version', minVersion: 0, maxVersion: 0 },
      { name: 'transaction.version', minVersion: 0, maxVersion: 1 },
    ]);
    const all = supportedFeatures(served([[0, 13], [24, 5], [26, 5], [68, 1], [69, 1], [76, 1], [77, 1], [78, 1], [79, 1]]));
    // Every API version of transactions V2 is served, but its semantics are not built: not offered.
    expect(all.map((f) => f.maxVersion)).toEqual([1, 1, 1]);
  });

  it('matches what the registry serves today', () => {
    const byName = new Map(supportedFeatures(handlers).map((f) => [f.name, f.maxVersion]));
    const max = new Map(handlers.map((h) => [h.apiKey, h.maxVersion]));
    expect(byName.get('group.version')).toBe(max.has(68) ? 1 : 0);
    // EndTxn v5 and Produce v12 are served with TV_1 semantics: TV_2 must not be offered to clients.
    expect(max.get(26)).toBe(5);
    expect(byName.get('transaction.version')).toBe(1);
  });

  it('finalizes the highest supported levels until an operator records some; level 0 is left out', () => {
    const supported = supportedFeatures(served([[26, 4]]));
    expect([...finalizedLevels(supported, undefined)]).toEqual([['transaction.version', 1]]);
    expect([...finalizedLevels(supported, {})]).toEqual([]);
    expect([...finalizedLevels(supported, { 'transaction.version': 1, 'gone.version': 3 })]).toEqual([['transaction.version', 1]]);
  });

  it('checks updates as Kafka does', () => {
    const supported = supportedFeatures(served([[26, 4]]));
    const up = (feature: string, level: number, type: number = UpgradeType.UPGRADE) => checkFeatureUpdate(supported, 1, { feature, maxVersionLevel: level, upgradeType: type });
    expect(up('transaction.version', 1)).toBeUndefined();
    expect(up('nope.version', 1)).toMatch(/does not support the given feature/);
    expect(up('transaction.version', 2)).toMatch(/supported range is 0-1/);
    expect(up('transaction.version', 0)).toMatch(/without setting the upgrade type/);
    expect(up('transaction.version', 0, UpgradeType.SAFE_DOWNGRADE)).toBeUndefined();
    expect(up('transaction.version', 0, 9)).toMatch(/upgrade type/);
  });
});

describe('ApiVersions feature fields', () => {
  const h = served([[26, 4]]);
  it('v4 lists every supported feature; v3 leaves out those with minimum 0 (KAFKA-17011)', () => {
    const v4 = featureFields(h, { levels: { 'transaction.version': 1 }, epoch: 12n }, 4);
    expect(v4.supportedFeatures.map((f) => f.name)).toEqual(['group.version', 'share.version', 'transaction.version']);
    expect(v4.finalizedFeatures).toEqual([{ name: 'transaction.version', maxVersionLevel: 1, minVersionLevel: 1 }]);
    expect(v4.finalizedFeaturesEpoch).toBe(12n);
    const v3 = featureFields(h, undefined, 3);
    expect(v3.supportedFeatures).toEqual([]);
    expect(v3.finalizedFeatures).toHaveLength(1);
    expect(v3.finalizedFeaturesEpoch).toBe(0n);
  });
});

describe('UpdateFeatures', () => {
  function context(opts: { granted?: boolean; recorded?: { levels: Record<string, number>; epoch: bigint } } = {}) {
    const writes: { levels: Record<string, number>; expectedEpoch: bigint }[] = [];
    const security = opts.granted === undefined ? undefined : ({
      authorizerEnabled: () => true,
      authorize: (_p: string, _h: string, op: number, type: number) => opts.granted! && op === Operation.ALTER && type === Resource.CLUSTER,
    } as unknown as SecurityPort);
    const ctx = {
      cluster: { finalizedFeatures: () => opts.recorded, awaitRevision: () => Promise.resolve() },
      controller: {
        updateFeatures: (levels: Record<string, number>, expectedEpoch: bigint) => {
          writes.push({ levels, expectedEpoch });
          return Promise.resolve({ errorCode: 0, errorMessage: null, epoch: 40n });
        },
      },
      ...(security ? { security } : {}),
    } as unknown as RequestContext;
    return { ctx, writes };
  }
  const handler = updateFeaturesHandler(() => served([[26, 4]]));
  const req = (updates: object[], extra: object = {}) => ({ timeoutMs: 1000, featureUpdates: updates, ...extra });

  it('writes the new level map against the epoch it checked', async () => {
    const { ctx, writes } = context({ recorded: { levels: { 'transaction.version': 1 }, epoch: 33n } });
    const res = await handler.handle(ctx, req([{ feature: 'transaction.version', maxVersionLevel: 0, upgradeType: UpgradeType.SAFE_DOWNGRADE }]), 1);
    expect(res.errorCode).toBe(ErrorCode.NONE);
    expect(res.results).toEqual([{ feature: 'transaction.version', errorCode: 0, errorMessage: null }]);
    expect(writes).toEqual([{ levels: {}, expectedEpoch: 33n }]);
  });

  it('v0 allow_downgrade is a safe downgrade; without it a lower level is refused', async () => {
    const { ctx, writes } = context();
    const refused = await handler.handle(ctx, req([{ feature: 'transaction.version', maxVersionLevel: 0, allowDowngrade: false }]), 0);
    expect(refused.results[0].errorCode).toBe(ErrorCode.INVALID_UPDATE_VERSION);
    expect(writes).toHaveLength(0);
    const ok = await handler.handle(ctx, req([{ feature: 'transaction.version', maxVersionLevel: 0, allowDowngrade: true }]), 0);
    expect(ok.results[0].errorCode).toBe(ErrorCode.NONE);
    expect(writes).toEqual([{ levels: {}, expectedEpoch: 0n }]);
  });

  it('applies none when one update is invalid; v2 answers the top-level error', async () => {
    const { ctx, writes } = context();
    const updates = [{ feature: 'transaction.version', maxVersionLevel: 1, upgradeType: 1 }, { feature: 'group.version', maxVersionLevel: 1, upgradeType: 1 }];
    const v1 = await handler.handle(ctx, req(updates), 1);
    expect(v1.errorCode).toBe(ErrorCode.NONE);
    expect(v1.results.map((r: any) => r.errorCode)).toEqual([ErrorCode.INVALID_UPDATE_VERSION, ErrorCode.INVALID_UPDATE_VERSION]);
    expect(v1.results[1].errorMessage).toMatch(/supported range is 0-0/);
    const v2 = await handler.handle(ctx, req(updates), 2);
    expect(v2.errorCode).toBe(ErrorCode.INVALID_UPDATE_VERSION);
    expect(writes).toHaveLength(0);
  });

  it('refuses duplicates, validates only when asked, and needs ALTER on the cluster', async () => {
    const { ctx, writes } = context();
    const dup = await handler.handle(ctx, req([{ feature: 'transaction.version', maxVersionLevel: 1 }, { feature: 'transaction.version', maxVersionLevel: 1 }]), 1);
    expect(dup.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    const dry = await handler.handle(ctx, req([{ feature: 'transaction.version', maxVersionLevel: 1, upgradeType: 1 }], { validateOnly: true }), 1);
    expect(dry.errorCode).toBe(ErrorCode.NONE);
    expect(writes).toHaveLength(0);
    const denied = context({ granted: false });
    const res = await handler.handle(denied.ctx, req([{ feature: 'transaction.version', maxVersionLevel: 1, upgradeType: 1 }]), 1);
    expect(res.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    expect(res.results[0].errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    expect(denied.writes).toHaveLength(0);
    const allowed = context({ granted: true });
    expect((await handler.handle(allowed.ctx, req([{ feature: 'transaction.version', maxVersionLevel: 1, upgradeType: 1 }]), 1)).errorCode).toBe(ErrorCode.NONE);
  });
});
