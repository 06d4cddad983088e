"""The kafka-python runner of the compatibility suite (Debian python3-kafka 2.0.2):
`kafka_python_runner.py <scenario> <config-json>` runs one scenario of tools/compat/scenarios.ts
and prints one JSON object; a failure exits non-zero with the traceback on stderr."""
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

import common

CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd']


def outcome(fn):
    try:
        fn()
        return 'ok'
    except Exception as e:
        return 'error: %r' % e


class Client:
    def __init__(self, cfg):
        self.cfg, self.topic, self.group = cfg, cfg['topic'], cfg['group']
        self.conf = dict(bootstrap_servers=cfg['bootstrap'], client_id='dms-compat-kafka-python')
        sec = cfg.get('security')
        if sec:
            self.conf.update(security_protocol='SASL_SSL', sasl_mechanism=sec['mechanism'], ssl_cafile=sec['caFile'],
                             sasl_plain_username=sec['username'], sasl_plain_password=sec['password'])

    def admin(self):
        return KafkaAdminClient(**self.conf)

    def consumer(self, **kw):
        return KafkaConsumer(**self.conf, **kw)

    def create_topic(self, topic, partitions):
        admin = self.admin()
        try:
            admin.create_topics([NewTopic(topic, partitions, 1)])
        except TopicAlreadyExistsError:
            pass
        finally:
            admin.close()

    def produce(self, records, **kw):
        """records: (topic, partition or None, key, value, timestamp ms or None)."""
        p = KafkaProducer(acks='all', max_request_size=2 << 20, **self.conf, **kw)
        futures = [p.send(t, key=k, value=v, partition=part, timestamp_ms=ts) for (t, part, k, v, ts) in records]
        for f in futures:
            f.get(timeout=30)
        p.close()

    def read_partition(self, topic, partition, n):
        c = self.consumer(enable_auto_commit=False, max_partition_fetch_bytes=2 << 20)
        tp = TopicPartition(topic, partition)
        c.assign([tp])
        c.seek_to_beginning(tp)
        out, deadline = [], time.monotonic() + 30
        while len(out) < n and time.monotonic() < deadline:
            for recs in c.poll(timeout_ms=500).values():
                out.extend(recs)
        c.close()
        if len(out) < n:
            raise RuntimeError('%s/%d: %d of %d records before the deadline' % (topic, partition, len(out), n))
        return out

    def produce_phase(self, topic, phase, per_partition):
        self.produce([(topic, p, None, ('%s-%d-%d' % (phase, p, i)).encode(), None) for p in range(3) for i in range(per_partition)])

    def group_member(self, m):
        c = self.consumer(group_id=self.group, auto_offset_reset='earliest', enable_auto_commit=True, auto_commit_interval_ms=200,
                          session_timeout_ms=6000, heartbeat_interval_ms=500)

        class Listener(ConsumerRebalanceListener):
            def on_partitions_revoked(self, revoked):
                m.claims = []

            def on_partitions_assigned(self, assigned):
                m.claims = [tp.partition for tp in assigned]

        c.subscribe([self.topic], listener=Listener())
        while not m.stopping.is_set():
            for recs in c.poll(timeout_ms=200).values():
                for r in recs:
                    m.tracker.add(m.name, r.value.decode())
        c.close()  # commits, then leaves the group

    # ---- scenarios ----

    def scenario_create_topic(self):
        self.create_topic(self.topic, 3)
        admin = self.admin()
        [desc] = admin.describe_topics([self.topic])
        admin.close()
        return {'partitions': len(desc['partitions']), 'error': desc['error_code']}

    def scenario_metadata(self):
        admin = self.admin()
        cluster = admin.describe_cluster()
        [desc] = admin.describe_topics([self.topic])
        admin.close()
        ids = [b['node_id'] for b in cluster['brokers']]
        return {'brokers': ids, 'partitions': len(desc['partitions']),
                'leadersListed': all(p['leader'] in ids for p in desc['partitions'])}

    def scenario_codecs(self):
        out = {}
        for codec in CODECS:
            topic = '%s-%s' % (self.topic, codec)
            values = ['%s-%d-%s' % (codec, i, 'x' * (i % 50)) for i in range(200)]
            self.produce([(topic, 0, str(i).encode(), v.encode(), None) for i, v in enumerate(values)],
                         compression_type=None if codec == 'none' else codec)
            got = self.read_partition(topic, 0, len(values))
            if [r.value.decode() for r in got] != values or [r.key.decode() for r in got] != [str(i) for i in range(200)]:
                raise RuntimeError('%s: records read back differ' % codec)
            out[codec] = len(got)
        return out

    def scenario_offsets_by_time(self):
        self.create_topic(self.topic, 1)
        base = int(time.time() * 1000) - 60000
        self.produce([(self.topic, 0, None, str(i).encode(), base + i * 1000) for i in range(10)])
        c = self.consumer()
        tp = TopicPartition(self.topic, 0)

        def at(ts):
            found = c.offsets_for_times({tp: ts})[tp]
            return -1 if found is None else found.offset
        out = {'at5s': at(base + 5000), 'between': at(base + 5500), 'afterLast': at(base + 3600000),
               'oldest': c.beginning_offsets([tp])[tp], 'newest': c.end_offsets([tp])[tp]}
        c.close()
        return out

    def scenario_large_message(self):
        value = b'0123456789abcdef' * (900 * 1024 // 16)
        self.produce([(self.topic, 0, None, value, None)])
        [got] = self.read_partition(self.topic, 0, 1)
        return {'bytes': len(got.value), 'equal': got.value == value}

    def scenario_admin(self):
        admin, out = self.admin(), {}
        group = self.group + '-admin'
        out['describe_cluster'] = outcome(lambda: admin.describe_cluster()['brokers'][0])
        out['create_topics'] = outcome(lambda: admin.create_topics([NewTopic(self.topic, 2, 1)]))
        out['describe_topics'] = outcome(lambda: admin.describe_topics([self.topic])[0]['partitions'][1])
        out['list_topics'] = outcome(lambda: admin.list_topics().index(self.topic))
        # A group with a committed offset (generation -1: a consumer that assigns partitions itself).
        c = self.consumer(group_id=group, enable_auto_commit=False)
        c.assign([TopicPartition(self.topic, 0)])
        c.commit({TopicPartition(self.topic, 0): OffsetAndMetadata(1, '')})
        c.close(autocommit=False)
        out['list_consumer_groups'] = outcome(lambda: [g for g in admin.list_consumer_groups() if g[0] == group][0])
        out['describe_consumer_groups'] = outcome(lambda: admin.describe_consumer_groups([group])[0])
        offsets = {}
        out['list_consumer_group_offsets'] = outcome(lambda: offsets.update(admin.list_consumer_group_offsets(group)))
        out['committed'] = offsets[TopicPartition(self.topic, 0)].offset if offsets else None
        out['delete_consumer_groups'] = outcome(lambda: [e for g, e in admin.delete_consumer_groups([group]) if e.errno != 0] == [] or 1 / 0)
        out['delete_topics'] = outcome(lambda: admin.delete_topics([self.topic]))
        admin.close()
        return out

    def scenario_admin_configs(self):
        self.create_topic(self.topic, 2)
        admin = self.admin()
        res = []
        out = {'describe_configs': outcome(lambda: res.extend(admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, self.topic)])))}
        admin.close()
        return out

    def scenario_sasl_ssl(self):
        self.create_topic(self.topic, 1)
        self.produce([(self.topic, 0, None, str(i).encode(), None) for i in range(10)])
        got = self.read_partition(self.topic, 0, 10)
        admin = self.admin()
        brokers = len(admin.describe_cluster()['brokers'])
        admin.close()
        return {'produced': 10, 'consumed': len(got), 'brokers': brokers}


if __name__ == '__main__':
    common.main(Client)
