"""The confluent-kafka-python runner of the compatibility suite (Debian python3-confluent-kafka
1.7.0 on the system librdkafka): `confluent_kafka_runner.py <scenario> <config-json>` runs one
scenario of tools/compat/scenarios.ts and prints one JSON object; a failure exits non-zero."""
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

import common

CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd']


def outcome(fn):
    try:
        fn()
        return 'ok'
    except Exception as e:
        return 'error: %r' % e


def result(futures):
    for f in futures.values():
        f.result(30)


class Client:
    def __init__(self, cfg):
        self.cfg, self.topic, self.group = cfg, cfg['topic'], cfg['group']
        self.conf = {'bootstrap.servers': cfg['bootstrap'], 'client.id': 'dms-compat-confluent-kafka'}
        sec = cfg.get('security')
        if sec:
            self.conf.update({'security.protocol': 'SASL_SSL', 'sasl.mechanisms': sec['mechanism'], 'ssl.ca.location': sec['caFile'],
                              'sasl.username': sec['username'], 'sasl.password': sec['password']})

    def admin(self):
        return AdminClient(self.conf)

    def consumer(self, **extra):
        return Consumer({**self.conf, 'group.id': self.group, 'enable.auto.commit': False, **extra})

    def create_topic(self, topic, partitions):
        admin = self.admin()  # the futures need their client alive
        try:
            result(admin.create_topics([NewTopic(topic, partitions, 1)], operation_timeout=10))
        except KafkaException as e:
            if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise

    def produce(self, records, **extra):
        """records: (topic, partition or None, key, value, timestamp ms or None)."""
        p = Producer({**self.conf, 'acks': 'all', **extra})
        errors = []
        for (t, part, k, v, ts) in records:
            p.produce(t, value=v, key=k, partition=-1 if part is None else part, timestamp=ts or 0,
                      on_delivery=lambda err, msg: err and errors.append(str(err)))
            p.poll(0)
        left = p.flush(30)
        if left or errors:
            raise RuntimeError('%d undelivered, errors: %s' % (left, errors[:3]))

    def read_partition(self, topic, partition, n):
        c = self.consumer()
        c.assign([TopicPartition(topic, partition, OFFSET_BEGINNING)])
        out, deadline = [], time.monotonic() + 30
        while len(out) < n and time.monotonic() < deadline:
            msg = c.poll(0.5)
            if msg is not None and not msg.error():
                out.append(msg)
        c.close()
        if len(out) < n:
            raise RuntimeError('%s/%d: %d of %d records before the deadline' % (topic, partition, len(out), n))
        return out

    def produce_phase(self, topic, phase, per_partition):
        self.produce([(topic, p, None, ('%s-%d-%d' % (phase, p, i)).encode(), None) for p in range(3) for i in range(per_partition)])

    def group_member(self, m):
        c = self.consumer(**{'auto.offset.reset': 'earliest', 'enable.auto.commit': True, 'auto.commit.interval.ms': 200,
                             'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500})

        def on_assign(consumer, parts):
            m.claims = [p.partition for p in parts]

        def on_revoke(consumer, parts):
            m.claims = []
        c.subscribe([self.topic], on_assign=on_assign, on_revoke=on_revoke)
        while not m.stopping.is_set():
            msg = c.poll(0.2)
            if msg is not None and not msg.error():
                m.tracker.add(m.name, msg.value().decode())
        c.close()  # commits, then leaves the group

    # ---- scenarios ----

    def scenario_create_topic(self):
        self.create_topic(self.topic, 3)
        admin = self.admin()
        t = admin.list_topics(self.topic, timeout=10).topics[self.topic]
        return {'partitions': len(t.partitions), 'error': t.error.code() if t.error else 0}

    def scenario_metadata(self):
        md = self.admin().list_topics(self.topic, timeout=10)
        ids = sorted(md.brokers)
        parts = md.topics[self.topic].partitions
        return {'brokers': ids, 'partitions': len(parts), 'leadersListed': all(p.leader in ids for p in parts.values())}

    def scenario_codecs(self):
        out = {}
        for codec in CODECS:
            topic = '%s-%s' % (self.topic, codec)
            values = ['%s-%d-%s' % (codec, i, 'x' * (i % 50)) for i in range(200)]
            self.produce([(topic, 0, str(i).encode(), v.encode(), None) for i, v in enumerate(values)], **{'compression.type': codec})
            got = self.read_partition(topic, 0, len(values))
            if [m.value().decode() for m in got] != values or [m.key().decode() for m in got] != [str(i) for i in range(200)]:
                raise RuntimeError('%s: records read back differ' % codec)
            out[codec] = len(got)
        return out

    def scenario_offsets_by_time(self):
        self.create_topic(self.topic, 1)
        base = int(time.time() * 1000) - 60000
        self.produce([(self.topic, 0, None, str(i).encode(), base + i * 1000) for i in range(10)])
        c = self.consumer()

        def at(ts):
            return c.offsets_for_times([TopicPartition(self.topic, 0, ts)], timeout=10)[0].offset
        low, high = c.get_watermark_offsets(TopicPartition(self.topic, 0), timeout=10)
        out = {'at5s': at(base + 5000), 'between': at(base + 5500), 'afterLast': at(base + 3600000), 'oldest': low, 'newest': high}
        c.close()
        return out

    def scenario_large_message(self):
        value = b'0123456789abcdef' * (900 * 1024 // 16)
        self.produce([(self.topic, 0, None, value, None)])
        [got] = self.read_partition(self.topic, 0, 1)
        return {'bytes': len(got.value()), 'equal': got.value() == value}

    def scenario_admin(self):
        admin, out = self.admin(), {}
        out['create_topics'] = outcome(lambda: result(admin.create_topics([NewTopic(self.topic, 2, 1)], operation_timeout=10)))
        out['list_topics'] = outcome(lambda: admin.list_topics(timeout=10).topics[self.topic].partitions[1])
        out['list_groups'] = outcome(lambda: admin.list_groups(timeout=10))
        out['delete_topics'] = outcome(lambda: result(admin.delete_topics([self.topic], operation_timeout=10)))
        return out

    def scenario_admin_configs(self):
        self.create_topic(self.topic, 2)
        admin = self.admin()
        return {'describe_configs': outcome(lambda: result(admin.describe_configs([ConfigResource('topic', self.topic)], request_timeout=10)))}

    def read_all(self, topic, n, isolation, partitions):
        """Every record of `partitions` from the beginning: waits for n, then 1 s more for any extra."""
        c = self.consumer(**{'isolation.level': isolation})
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        out, deadline, extra = [], time.monotonic() + 30, None
        while time.monotonic() < (extra or deadline):
            msg = c.poll(0.2)
            if msg is not None and not msg.error():
                out.append(msg)
            if len(out) >= n and extra is None:
                extra = time.monotonic() + 1
        c.close()
        return out

    def scenario_idempotent_producer(self):
        self.create_topic(self.topic, 3)
        p = Producer({**self.conf, 'enable.idempotence': True, 'batch.num.messages': 30})
        errors = []
        for i in range(300):
            p.produce(self.topic, key=('k-%d' % i).encode(), value=str(i).encode(), on_delivery=lambda err, msg: err and errors.append(str(err)))
            p.poll(0)
        left = p.flush(30)
        if left or errors:
            raise RuntimeError('%d undelivered, errors: %s' % (left, errors[:3]))
        got = self.read_all(self.topic, 300, 'read_committed', range(3))
        by_partition = {}
        for m in got:
            by_partition.setdefault(m.partition(), []).append(int(m.value()))
        in_order = all(vs == sorted(vs) for vs in by_partition.values()) and all(m.key() == b'k-' + m.value() for m in got)
        # confluent-kafka 1.7 keeps the producer id librdkafka got to itself.
        return {'produced': 300, 'read': len(got), 'distinct': len({m.value() for m in got}), 'inOrder': in_order,
                'partitionsUsed': len(by_partition), 'producerId': 'not exposed'}

    def scenario_transactions(self):
        output = self.topic + '-out'
        self.create_topic(self.topic, 1)
        self.create_topic(output, 1)
        p = Producer({**self.conf, 'transactional.id': self.group + '-txn'})
        p.init_transactions(30)

        def txn(prefix, n, commit):
            p.begin_transaction()
            for i in range(n):
                p.produce(self.topic, key=str(i).encode(), value=('%s-%d' % (prefix, i)).encode(), partition=0)
            p.flush(30)
            (p.commit_transaction if commit else p.abort_transaction)(30)
        txn('c1', 100, True)
        txn('a', 100, False)
        txn('c2', 50, True)
        committed = self.read_all(self.topic, 150, 'read_committed', [0])
        uncommitted = self.read_all(self.topic, 250, 'read_uncommitted', [0])
        out = {'readCommitted': len(committed), 'readUncommitted': len(uncommitted),
               'abortedSeen': len([m for m in committed if m.value().startswith(b'a-')]),
               'lastDataOffset': max(m.offset() for m in committed)}
        # Consume-transform-produce: a group reads the 150 and a transaction writes them to the
        # output topic with the consumer's position as the group's offsets.
        group = self.group + '-ctp'
        c = Consumer({**self.conf, 'group.id': group, 'enable.auto.commit': False, 'auto.offset.reset': 'earliest',
                      'isolation.level': 'read_committed'})
        c.subscribe([self.topic])
        read, deadline = [], time.monotonic() + 30
        while len(read) < 150 and time.monotonic() < deadline:
            msg = c.poll(0.2)
            if msg is not None and not msg.error():
                read.append(msg)
        p.begin_transaction()
        for m in read:
            p.produce(output, key=m.key(), value=b'out-' + m.value(), partition=0)
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 30)
        p.commit_transaction(30)
        c.close()
        low, high = Consumer({**self.conf, 'group.id': group}).get_watermark_offsets(TopicPartition(self.topic, 0), timeout=10)
        check = Consumer({**self.conf, 'group.id': group})
        [tp] = check.committed([TopicPartition(self.topic, 0)], timeout=10)
        check.close()
        out.update(groupCommitted=tp.offset, inputEnd=high,
                   outputCommitted=len(self.read_all(output, 150, 'read_committed', [0])))
        return out

    def scenario_sasl_ssl(self):
        self.create_topic(self.topic, 1)
        self.produce([(self.topic, 0, None, str(i).encode(), None) for i in range(10)])
        got = self.read_partition(self.topic, 0, 10)
        return {'produced': 10, 'consumed': len(got), 'brokers': len(self.admin().list_topics(timeout=10).brokers)}


if __name__ == '__main__':
    common.main(Client)
