#!/usr/bin/env python3
"""Open-loop produce latency through librdkafka, as a user's own client measures it.

    python3 tools/bench/rdkafka-probe.py --bootstrap-server 127.0.0.1:9092 --topic probe \
        --rate 1000 --duration-s 20 [--replication-factor 3] [--acks all] [--linger-ms 0]

Creates the topic (6 partitions, min.insync.replicas 2 when RF >= 3), then produces 1 KiB records
on a fixed schedule; each record's latency runs from its scheduled send time to its delivery
report (no coordinated omission). Prints p50/p99/p99.9/max and the first seconds' p50/max.
Needs python3-confluent-kafka (tools/ci/ensure-deps.sh --test-clients installs it). Bounded:
the schedule ends after --duration-s, the final flush after 30 s.
"""
import argparse
import sys
import time

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--bootstrap-server', default='127.0.0.1:9092')
    ap.add_argument('--topic', default='rdkafka-probe')
    ap.add_argument('--rate', type=float, default=1000.0, help='records per second')
    ap.add_argument('--duration-s', type=float, default=20.0)
    ap.add_argument('--replication-factor', type=int, default=3)
    ap.add_argument('--acks', default='all')
    ap.add_argument('--linger-ms', default='0')
    ap.add_argument('--record-size', type=int, default=1024)
    o = ap.parse_args()
    if o.rate <= 0 or o.duration_s <= 0 or o.duration_s > 600:
        ap.error('--rate must be > 0 and --duration-s in (0, 600]')

    admin = AdminClient({'bootstrap.servers': o.bootstrap_server})
    mir = '2' if o.replication_factor >= 3 else '1'
    for f in admin.create_topics([NewTopic(o.topic, 6, o.replication_factor, config={'min.insync.replicas': mir})]).values():
        try:
            f.result(30)
        except Exception as e:  # an existing topic is fine
            print(f'create {o.topic}: {e}', file=sys.stderr)

    producer = Producer({'bootstrap.servers': o.bootstrap_server, 'acks': o.acks, 'linger.ms': o.linger_ms, 'enable.idempotence': False})
    producer.list_topics(o.topic, timeout=10)
    latencies: list = []
    per_second: dict = {}
    errors = [0]
    value = b'x' * o.record_size
    start = time.monotonic()

    def report(due: float):
        def on_delivery(err, _msg):
            if err:
                errors[0] += 1
                return
            ms = (time.monotonic() - due) * 1000
            latencies.append(ms)
            per_second.setdefault(int(due - start), []).append(ms)
        return on_delivery

    interval = 1.0 / o.rate
    for i in range(int(o.rate * o.duration_s)):
        due = start + i * interval
        while True:
            now = time.monotonic()
            if now >= due:
                break
            producer.poll(min(due - now, 0.001))
        producer.produce(o.topic, value, on_delivery=report(due))
        producer.poll(0)
    left = producer.flush(30)

    if not latencies:
        print(f'{o.topic}: no record delivered ({errors[0]} errors, {left} undelivered)')
        return 1
    latencies.sort()
    q = lambda f: latencies[min(len(latencies) - 1, int(f * len(latencies)))]  # noqa: E731
    print(f'{o.topic} {o.rate:.0f} rec/s acks={o.acks} RF {o.replication_factor} linger {o.linger_ms}: '
          f'{len(latencies)} delivered, {errors[0]} errors, {left} undelivered; '
          f'p50 {q(0.5):.2f} p99 {q(0.99):.2f} p99.9 {q(0.999):.2f} max {latencies[-1]:.1f} ms')
    firsts = sorted(per_second.items())[:5]
    print('  first seconds p50/max ms: ' + ' '.join(f'{sorted(v)[len(v) // 2]:.1f}/{max(v):.0f}' for _, v in firsts))
    return 0 if errors[0] == 0 and left == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
