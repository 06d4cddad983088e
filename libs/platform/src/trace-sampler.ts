import { diag } from '@opentelemetry/api';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace-base';

/**
 * OTel's head-sampling env contract (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG), read from the
 * given environment rather than the SDK's process-wide one so each telemetry can be configured
 * on its own. Default, as in the SDK: parentbased_always_on. A bad value warns and falls back.
 */
export function samplerFromEnv(env: NodeJS.ProcessEnv): Sampler {
  const name = (env.OTEL_TRACES_SAMPLER ?? '').trim().toLowerCase();
  const ratio = () => new TraceIdRatioBasedSampler(samplerRatio(env.OTEL_TRACES_SAMPLER_ARG));
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    case '':
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    default:
      diag.warn(`OTEL_TRACES_SAMPLER: unsupported sampler '${name}', using parentbased_always_on`);
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** OTEL_TRACES_SAMPLER_ARG as a ratio in [0, 1]; missing or invalid means 1 (the SDK's default). */
export function samplerRatio(arg: string | undefined): number {
  if (arg === undefined || arg.trim() === '') return 1;
  const n = Number(arg);
  if (!Number.isFinite(n) || n < 0 || n > 1) {
    diag.warn(`OTEL_TRACES_SAMPLER_ARG=${arg} is not a ratio in [0, 1]; using 1`);
    return 1;
  }
  return n;
}
