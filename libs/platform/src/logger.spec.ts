import { Writable } from 'node:stream';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createLogger } from './logger';
import { startTelemetry, type Telemetry } from './telemetry';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  let telemetry: Telemetry;
  beforeAll(async () => {
    telemetry = await startTelemetry({ serviceName: 'test', spanExporter: new InMemorySpanExporter() });
  });
  afterAll(() => telemetry.shutdown());

  it('binds service and id and adds the active trace id inside a span', () => {
    const out = capture();
    const log = createLogger({ service: 'broker', id: 3, level: 'debug', destination: out.stream });
    log.info('outside');
    let traceId = '';
    let spanId = '';
    telemetry.tracer.startActiveSpan('work', (span) => {
      traceId = span.spanContext().traceId;
      spanId = span.spanContext().spanId;
      log.debug({ topic: 't' }, 'inside');
      span.end();
    });
    const [outside, inside] = out.lines();
    expect(outside).toMatchObject({ service: 'broker', id: '3', level: 'info', msg: 'outside' });
    expect(outside.trace_id).toBeUndefined();
    expect(inside).toMatchObject({ service: 'broker', id: '3', level: 'debug', msg: 'inside', topic: 't' });
    expect(inside.trace_id).toBe(traceId);
    expect(inside.span_id).toBe(spanId);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('respects the level', () => {
    const out = capture();
    const log = createLogger({ service: 'gw', level: 'warn', destination: out.stream });
    log.info('hidden');
    log.warn('shown');
    expect(out.lines().map((l) => l.msg)).toEqual(['shown']);
  });
});
