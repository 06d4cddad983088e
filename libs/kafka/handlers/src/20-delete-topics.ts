// DeleteTopics (20)
// Behavior: the controller deletes the topic and its partition state in one fenced write;
//   storage brokers drop the logs when they see it go. Waits until this gateway's view no
//   longer shows the topics.
//   Needs DELETE on each topic, else TOPIC_AUTHORIZATION_FAILED. Internal topics are refused
//   with INVALID_TOPIC_EXCEPTION (deleting __consumer_offsets would drop every group's offsets);
//   Kafka's own tool refuses them the same way.
// Version notes: v0 (removed by Kafka 4.0, KIP-896) is served: it is v1 without throttle time.
//   v6+ may name topics by id.
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import { isInternalTopic } from './topic-names';

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export const deleteTopicsHandler: KafkaHandler = {
  apiKey: 20,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 6,
  acl: ['TOPIC:DELETE'],
  async handle(ctx, req: any, version) {
    const wanted: { name: string | null; topicId: string }[] =
      version >= 6
        ? (req.topics as any[]).map((t) => ({ name: t.name ?? ctx.cluster.topicById(t.topicId)?.name ?? null, topicId: t.topicId ?? ZERO_UUID }))
        : (req.topicNames as string[]).map((name) => ({ name, topicId: ZERO_UUID }));
    const allowed = (name: string) => authorized(ctx, Operation.DELETE, Resource.TOPIC, name);
    const names = wanted.filter((w) => w.name !== null && allowed(w.name) && !isInternalTopic(w.name)).map((w) => w.name as string);
    const outcomes = names.length > 0 ? await ctx.controller.deleteTopics(names, req.timeoutMs) : [];
    const byName = new Map(outcomes.map((o) => [o.name, o]));
    const deleted = outcomes.filter((o) => o.errorCode === ErrorCode.NONE).map((o) => o.name);
    if (deleted.length > 0 && req.timeoutMs > 0) {
      await ctx.cluster.awaitTopics(deleted, false, Math.min(req.timeoutMs, 30_000)).catch(() => undefined);
    }
    return {
      throttleTimeMs: 0,
      responses: wanted.map((w) => {
        if (w.name === null) return { name: null, topicId: w.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: null };
        if (!allowed(w.name)) return { name: w.name, topicId: w.topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' };
        if (isInternalTopic(w.name)) {
          return { name: w.name, topicId: w.topicId, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: `Topic ${w.name} is an internal topic and may not be deleted.` };
        }
        const o = byName.get(w.name);
        return {
          name: w.name,
          topicId: o?.topicId || w.topicId,
          errorCode: o ? o.errorCode : ErrorCode.REQUEST_TIMED_OUT,
          errorMessage: o?.errorMessage ?? null,
        };
      }),
    };
  },
};
