package main

import (
	"bytes"
	"fmt"
	"time"

	"github.com/Shopify/sarama"
)

func newAdmin() sarama.ClusterAdmin {
	admin, err := sarama.NewClusterAdmin(brokers(), newConfig())
	must(err, "admin")
	return admin
}

// Ten records one second apart; ListOffsets by time finds the first at or after a timestamp.
func offsetsByTime() interface{} {
	admin := newAdmin()
	createTopic(admin, cfg.Topic, 1)
	admin.Close()
	client := newClient()
	defer client.Close()
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	var msgs []*sarama.ProducerMessage
	for i := 0; i < 10; i++ {
		msgs = append(msgs, &sarama.ProducerMessage{Topic: cfg.Topic, Value: sarama.StringEncoder(fmt.Sprint(i)), Timestamp: base.Add(time.Duration(i) * time.Second)})
	}
	produce(client, msgs)
	at := func(t int64) int64 {
		o, err := client.GetOffset(cfg.Topic, 0, t)
		must(err, "get offset")
		return o
	}
	ms := func(t time.Time) int64 { return t.UnixNano() / int64(time.Millisecond) }
	return map[string]int64{
		"at5s": at(ms(base.Add(5 * time.Second))), "between": at(ms(base.Add(5500 * time.Millisecond))),
		"afterLast": at(ms(base.Add(time.Hour))), "oldest": at(sarama.OffsetOldest), "newest": at(sarama.OffsetNewest),
	}
}

func largeMessage() interface{} {
	client := newClient()
	defer client.Close()
	value := bytes.Repeat([]byte("0123456789abcdef"), 900*1024/16)
	produce(client, []*sarama.ProducerMessage{{Topic: cfg.Topic, Value: sarama.ByteEncoder(value)}})
	got := readPartition(client, cfg.Topic, 0, sarama.OffsetOldest, 1)
	return map[string]interface{}{"bytes": len(got[0].Value), "equal": bytes.Equal(got[0].Value, value)}
}

func outcome(err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return "ok"
}

// The ClusterAdmin calls whose APIs the gateway serves (DescribeConfigs is admin-configs).
func adminScenario() interface{} {
	admin := newAdmin()
	defer admin.Close()
	out := map[string]string{}
	brokers, _, err := admin.DescribeCluster()
	out["DescribeCluster"] = outcome(err)
	if err == nil && len(brokers) == 0 {
		out["DescribeCluster"] = "no brokers"
	}
	out["CreateTopic"] = outcome(admin.CreateTopic(cfg.Topic, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1}, false))
	meta, err := admin.DescribeTopics([]string{cfg.Topic})
	out["DescribeTopics"] = outcome(err)
	if err == nil && len(meta[0].Partitions) != 2 {
		out["DescribeTopics"] = fmt.Sprintf("%d partitions", len(meta[0].Partitions))
	}
	_, err = admin.ListConsumerGroups()
	out["ListConsumerGroups"] = outcome(err)
	_, err = admin.DescribeConsumerGroups([]string{cfg.Group})
	out["DescribeConsumerGroups"] = outcome(err)
	_, err = admin.ListConsumerGroupOffsets(cfg.Group, map[string][]int32{cfg.Topic: {0}})
	out["ListConsumerGroupOffsets"] = outcome(err)
	out["DeleteTopic"] = outcome(admin.DeleteTopic(cfg.Topic))
	return out
}

// ListTopics describes every topic's configs: it needs DescribeConfigs.
func adminConfigs() interface{} {
	admin := newAdmin()
	defer admin.Close()
	createTopic(admin, cfg.Topic, 2)
	out := map[string]interface{}{}
	topics, err := admin.ListTopics()
	out["ListTopics"] = outcome(err)
	if err == nil {
		out["partitions"] = topics[cfg.Topic].NumPartitions
	}
	entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: cfg.Topic})
	out["DescribeConfig"] = outcome(err)
	out["entries"] = len(entries)
	return out
}

func saslSsl() interface{} {
	admin := newAdmin()
	createTopic(admin, cfg.Topic, 1)
	admin.Close()
	client := newClient()
	defer client.Close()
	var msgs []*sarama.ProducerMessage
	for i := 0; i < 10; i++ {
		msgs = append(msgs, &sarama.ProducerMessage{Topic: cfg.Topic, Value: sarama.StringEncoder(fmt.Sprint(i))})
	}
	produce(client, msgs)
	got := readPartition(client, cfg.Topic, 0, sarama.OffsetOldest, 10)
	return map[string]int{"produced": len(msgs), "consumed": len(got), "brokers": len(client.Brokers())}
}
