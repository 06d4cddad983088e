import type { ServerAssignor } from './assignor';
import { RangeAssignor } from './range';
import { UniformAssignor } from './uniform';

export * from './assignor';
export { RangeAssignor } from './range';
export { UniformAssignor } from './uniform';

/** The assignors `group.consumer.assignors` may name; the first configured is the default. */
export function serverAssignors(names: readonly string[]): ServerAssignor[] {
  const known: Record<string, () => ServerAssignor> = { uniform: () => new UniformAssignor(), range: () => new RangeAssignor() };
  return names.map((n) => {
    const make = known[n];
    if (!make) throw new Error(`unknown server assignor ${n}`);
    return make();
  });
}
