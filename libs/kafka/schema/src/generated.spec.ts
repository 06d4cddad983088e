import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_MESSAGES_DIR, DEFAULT_OLDER_DIR, ERRORS_OUT, generate, SCHEMA_OUT, writeAll } from '../../../../tools/schema-gen/generate';
import { apiSchema, apiSchemas, ApiKey } from './index';

const repoRoot = path.resolve(__dirname, '../../../..');
const messagesDir = path.resolve(repoRoot, DEFAULT_MESSAGES_DIR);
const olderDir = path.resolve(repoRoot, DEFAULT_OLDER_DIR);

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).sort();
}

describe('generated descriptors', () => {
  const haveReference = fs.existsSync(messagesDir) && fs.existsSync(olderDir);
  if (!haveReference) {
    console.warn(`generated.spec: SKIPPING the regeneration check, ${messagesDir} is absent; only the committed registry is checked`);
  }

  (haveReference ? it : it.skip)('match a fresh run of tools/schema-gen over the reference schemas', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'schema-gen-'));
    try {
      writeAll(generate(messagesDir, olderDir), tmp);
      for (const dir of [SCHEMA_OUT, ERRORS_OUT]) {
        const fresh = listFiles(path.join(tmp, dir));
        expect(listFiles(path.join(repoRoot, dir))).toEqual(fresh);
        for (const file of fresh) {
          const committed = fs.readFileSync(path.join(repoRoot, dir, file), 'utf8');
          const regenerated = fs.readFileSync(path.join(tmp, dir, file), 'utf8');
          if (committed !== regenerated) throw new Error(`${dir}/${file} is stale: run tools/schema-gen/run.sh`);
        }
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('registry is complete and consistent', () => {
    expect(apiSchemas.length).toBeGreaterThanOrEqual(88);
    expect(apiSchema(ApiKey.Produce)?.name).toBe('Produce');
    expect(apiSchema(ApiKey.ApiVersions)?.flexibleVersions?.min).toBe(3);
    expect(apiSchema(ApiKey.Metadata)?.validVersions).toEqual({ min: 0, max: 13 });
    // Kafka 4.3's floor, with the versions KIP-896 removed merged in from the older schemas.
    expect(apiSchema(ApiKey.ListOffsets)?.kafkaVersions).toEqual({ min: 1, max: 11 });
    expect(apiSchema(ApiKey.ListOffsets)?.validVersions).toEqual({ min: 0, max: 11 });
    expect(apiSchema(ApiKey.Produce)?.validVersions).toEqual({ min: 0, max: 13 });
    expect(apiSchema(4)?.kafkaVersions).toBeNull();
    expect(apiSchema(ApiKey.InitProducerId)?.latestVersionUnstable).toBe(true);
    expect(apiSchema(-1)).toBeUndefined();
    expect(apiSchema(1.5)).toBeUndefined();
    for (const s of apiSchemas) {
      expect(s.request.apiKey).toBe(s.apiKey);
      expect(s.response.apiKey).toBe(s.apiKey);
      expect(s.request.kind).toBe('request');
      expect(Object.isFrozen(s.request.fields)).toBe(true);
    }
  });

  it('carries no prose from the schemas', () => {
    const dir = path.join(repoRoot, SCHEMA_OUT);
    for (const file of listFiles(dir)) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      expect(text).not.toMatch(/about|Licensed to the Apache/);
    }
  });
});
