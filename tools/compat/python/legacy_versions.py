"""Requests at the versions Kafka 4.0 removed (KIP-896) that DMS still serves, as Kafka 2.x-era
tools send them (Burrow's lag loop: Metadata v0, ListOffsets v0, OffsetFetch v0/v1), encoded by
kafka-python's own protocol classes, plus Produce v2, which must be refused by closing the
connection as Kafka 4 does.

    legacy_versions.py <host:port> <topic>   prints one JSON object
"""
import json
import socket
import sys
import time

from kafka.conn import BrokerConnection
from kafka.protocol.admin import CreateTopicsRequest_v0, DeleteTopicsRequest_v0
from kafka.protocol.commit import GroupCoordinatorRequest_v0, OffsetCommitRequest_v0, OffsetCommitRequest_v1, OffsetFetchRequest_v0
from kafka.protocol.metadata import MetadataRequest_v0
from kafka.protocol.offset import OffsetRequest_v0
from kafka.protocol.produce import ProduceRequest_v2

TIMEOUT_S = 20


def connect(host, port):
    # api_version given: no ApiVersions probe, as a tool built for an old broker.
    conn = BrokerConnection(host, port, socket.AF_INET, api_version=(0, 10, 0), request_timeout_ms=TIMEOUT_S * 1000)
    if not conn.connect_blocking(timeout=TIMEOUT_S):
        raise SystemExit('cannot connect to %s:%d' % (host, port))
    return conn


def call(conn, request):
    future = conn.send(request)
    deadline = time.time() + TIMEOUT_S
    while not future.is_done and time.time() < deadline:
        for response, fut in conn.recv():
            fut.success(response)
        time.sleep(0.01)
    if not future.is_done:
        raise SystemExit('no answer to %s' % type(request).__name__)
    if future.failed():
        return {'failed': type(future.exception).__name__}
    return future.value


def main():
    host, port = sys.argv[1].rsplit(':', 1)
    port = int(port)
    topic = sys.argv[2]
    conn = connect(host, port)
    out = {}

    md = call(conn, MetadataRequest_v0([topic]))
    out['metadata_partitions'] = [len(t[2]) for t in md.topics if t[1] == topic]

    offsets = call(conn, OffsetRequest_v0(replica_id=-1, topics=[(topic, [(0, -1, 1), (1, -2, 1), (0, -1, 0)])]))
    out['list_offsets_v0'] = sorted([[p[0], p[1], list(p[2])] for t in offsets.topics for p in t[1]])

    # FindCoordinator v0 first, as those tools do: the first lookup creates __consumer_offsets and
    # answers COORDINATOR_NOT_AVAILABLE (15) until it has leaders, as Kafka does.
    deadline = time.time() + 60
    while True:
        found = call(conn, GroupCoordinatorRequest_v0('legacy-group'))
        if found.error_code == 0 or time.time() > deadline:
            break
        time.sleep(0.25)
    out['find_coordinator_v0'] = found.error_code
    # A coordinator still loading answers COORDINATOR_LOAD_IN_PROGRESS (14): retried.
    while True:
        committed = call(conn, OffsetCommitRequest_v0('legacy-group', [(topic, [(0, 3, 'burrow')])]))
        codes = [p[1] for t in committed.topics for p in t[1]]
        if codes != [14] and codes != [15] or time.time() > deadline:
            break
        time.sleep(0.25)
    out['offset_commit_v0'] = [p[1] for t in committed.topics for p in t[1]]
    committed_v1 = call(conn, OffsetCommitRequest_v1('legacy-group', -1, '', [(topic, [(1, 1, -1, 'v1')])]))
    out['offset_commit_v1'] = [p[1] for t in committed_v1.topics for p in t[1]]
    fetched = call(conn, OffsetFetchRequest_v0('legacy-group', [(topic, [0, 1])]))
    out['offset_fetch_v0'] = sorted([[p[0], p[1], p[2], p[3]] for t in fetched.topics for p in t[1]])

    created = call(conn, CreateTopicsRequest_v0(create_topic_requests=[(topic + '-v0', 2, 1, [], [])], timeout=15000))
    out['create_topics_v0'] = [[t[0], t[1]] for t in created.topic_errors]
    deleted = call(conn, DeleteTopicsRequest_v0(topics=[topic + '-v0'], timeout=15000))
    out['delete_topics_v0'] = [[t[0], t[1]] for t in deleted.topic_error_codes]
    conn.close()

    # Produce v2 (magic 1 message sets): refused by closing the connection, no answer.
    old = connect(host, port)
    refused = call(old, ProduceRequest_v2(required_acks=1, timeout=1000, topics=[(topic, [(0, b'')])]))
    out['produce_v2'] = refused if isinstance(refused, dict) else 'answered'
    out['produce_v2_disconnected'] = old.disconnected()
    print(json.dumps(out))


if __name__ == '__main__':
    main()
