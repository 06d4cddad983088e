import * as fs from 'fs';
import * as path from 'path';
import { apiSchema, apiSchemas } from '@dms/kafka-schema';
import { apiVersionsBody } from './18-api-versions';
import { compatibilityRows, withCompatibilityTable } from './compatibility';
import { handlers } from './registry';

const page = path.resolve(__dirname, '../../../../docs/compatibility.md');

/** Versions Kafka 4.0 removed (KIP-896) that DMS serves on purpose: no record-format conversion. */
const KEPT_BELOW_KAFKA: Record<number, number> = { 2: 0, 8: 0, 9: 0, 19: 0, 20: 0, 23: 0, 29: 0, 30: 0, 31: 0, 32: 0, 35: 0 };

describe('API versions against Kafka 4.3', () => {
  it('docs/compatibility.md carries the table the registry gives (run tools/compat-doc/run.sh)', () => {
    const text = fs.readFileSync(page, 'utf8');
    expect(withCompatibilityTable(text)).toBe(text);
  });

  it('every served API answers Kafka 4.3 range, up to its stable maximum', () => {
    for (const h of handlers) {
      const s = apiSchema(h.apiKey)!;
      expect({ key: h.apiKey, name: h.name }).toEqual({ key: h.apiKey, name: s.name });
      const kafka = s.kafkaVersions!;
      const stableMax = s.latestVersionUnstable ? kafka.max - 1 : kafka.max;
      expect({ key: h.apiKey, max: h.maxVersion }).toEqual({ key: h.apiKey, max: stableMax });
      expect({ key: h.apiKey, min: h.minVersion }).toEqual({ key: h.apiKey, min: KEPT_BELOW_KAFKA[h.apiKey] ?? kafka.min });
      // The descriptors cover every served version.
      expect(h.minVersion).toBeGreaterThanOrEqual(s.validVersions.min);
      expect(h.maxVersion).toBeLessThanOrEqual(s.validVersions.max);
    }
  });

  it('Produce below v3 and Fetch below v4 stay refused; Produce is advertised from v0 as Kafka 4 does', () => {
    const adv = new Map(apiVersionsBody(handlers).apiKeys.map((k) => [k.apiKey, k]));
    expect(adv.get(0)).toEqual({ apiKey: 0, minVersion: 0, maxVersion: 13 });
    expect(handlers.find((h) => h.apiKey === 0)!.minVersion).toBe(3);
    expect(adv.get(1)).toEqual({ apiKey: 1, minVersion: 4, maxVersion: 18 });
    // ListOffsets v0 is served (Burrow).
    expect(adv.get(2)).toEqual({ apiKey: 2, minVersion: 0, maxVersion: 11 });
  });

  it('lists every API key Kafka 4.3 defines, once', () => {
    const rows = compatibilityRows();
    expect(rows.map((r) => r.apiKey)).toEqual(apiSchemas.map((s) => s.apiKey));
    expect(rows.find((r) => r.apiKey === 22)).toMatchObject({ kafka: '0-5', dms: '0-5' });
    expect(rows.find((r) => r.apiKey === 68)).toMatchObject({ kafka: '0-1', dms: '0-1' });
    expect(rows.find((r) => r.apiKey === 80)?.dms).toBe('none');
  });
});
