import type { ClusterView } from '@dms/cluster';
import { errMessage } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import type { Logger } from '@dms/platform';
import type { ControlledShutdownSettings } from './broker-config';
import type { ControllerClient } from './controller-client';

export type ControlledShutdownOutcome = 'disabled' | 'done' | 'kept' | 'gave-up';

export interface ControlledShutdownDeps {
  brokerId: number;
  controller: Pick<ControllerClient, 'controlledShutdown'>;
  view: Pick<ClusterView, 'allPartitions' | 'on' | 'off'>;
  settings: ControlledShutdownSettings;
  logger: Pick<Logger, 'info' | 'warn'>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long one attempt's call may take: the controller writes one etcd transaction per partition. */
export const controlledShutdownCallTimeoutMs = (s: ControlledShutdownSettings): number => Math.max(5_000, s.retryBackoffMs);

/** The longest a controlled shutdown can take (every attempt timing out, with its backoff). */
export function controlledShutdownBudgetMs(s: ControlledShutdownSettings): number {
  return s.enable ? s.maxRetries * (controlledShutdownCallTimeoutMs(s) + s.retryBackoffMs) : 0;
}

/** How many partitions this broker's own view shows it leading. */
function ledHere(view: ControlledShutdownDeps['view'], brokerId: number): number {
  let n = 0;
  for (const { state } of view.allPartitions()) if (state.leader === brokerId) n++;
  return n;
}

/** Resolves once `ok()` holds (checked on every view change) or after `ms`. */
function until(view: ControlledShutdownDeps['view'], ok: () => boolean, ms: number): Promise<void> {
  if (ok()) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (!ok() && Date.now() < end) return;
      clearTimeout(timer);
      view.off('change', done);
      resolve();
    };
    const end = Date.now() + ms;
    const timer = setTimeout(() => {
      view.off('change', done);
      resolve();
    }, ms);
    view.on('change', done);
  });
}

/**
 * Kafka's broker-side controlled shutdown: asks the controller to move this broker's leaderships
 * (up to `maxRetries` attempts, `retryBackoffMs` apart) until it reports nothing left that could
 * move, then waits (bounded) for this broker's own metadata to show the new leaders, so in-flight
 * requests are answered NOT_LEADER_OR_FOLLOWER (which the gateways retry at the new leader) rather
 * than cut off. Partitions with no other in-sync replica keep this broker as leader ('kept'), as
 * in Kafka. Never throws: a failure only means the broker stops as it did without it.
 */
export async function runControlledShutdown(deps: ControlledShutdownDeps): Promise<ControlledShutdownOutcome> {
  const { brokerId, controller, view, settings, logger } = deps;
  if (!settings.enable) return 'disabled';
  const callTimeoutMs = controlledShutdownCallTimeoutMs(settings);
  for (let attempt = 1; attempt <= settings.maxRetries; attempt++) {
    try {
      const res = await controller.controlledShutdown(brokerId, callTimeoutMs);
      if (res.errorCode === ErrorCode.NONE) {
        const left = res.remaining.length;
        if (left <= res.stuck) {
          await until(view, () => ledHere(view, brokerId) <= left, callTimeoutMs);
          logger.info({ attempt, kept: left }, left === 0 ? 'controlled shutdown done: no partition led here' : 'controlled shutdown done: partitions without another in-sync replica keep this leader');
          return left === 0 ? 'done' : 'kept';
        }
        logger.warn({ attempt, remaining: left }, 'controlled shutdown incomplete; retrying');
      } else {
        logger.warn({ attempt, errorCode: res.errorCode, err: res.errorMessage }, 'controlled shutdown refused; retrying');
      }
    } catch (e) {
      logger.warn({ attempt, err: errMessage(e) }, 'controlled shutdown failed; retrying');
    }
    if (attempt < settings.maxRetries) await sleep(settings.retryBackoffMs);
  }
  logger.warn({ attempts: settings.maxRetries }, 'controlled shutdown gave up; stopping anyway');
  return 'gave-up';
}
