"""Commits explicit offsets for a group with kafka-python 2.0.2 (a standalone commit, no join):

    commit_offsets.py <host:port> <group> <topic> <partition>=<offset> ...

Prints one JSON object: the offsets the coordinator answers for the group afterwards.
"""
import json
import sys

from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata


def main():
    bootstrap, group, topic = sys.argv[1:4]
    wanted = {}
    for arg in sys.argv[4:]:
        partition, offset = arg.split('=')
        wanted[TopicPartition(topic, int(partition))] = OffsetAndMetadata(int(offset), '')
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                             request_timeout_ms=30000, api_version_auto_timeout_ms=20000)
    try:
        consumer.commit(wanted)
        committed = {str(tp.partition): consumer.committed(tp) for tp in wanted}
    finally:
        consumer.close(autocommit=False)
    print(json.dumps(committed))


if __name__ == '__main__':
    main()
