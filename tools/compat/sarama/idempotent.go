package main

import (
	"fmt"
	"strconv"

	"github.com/Shopify/sarama"
)

// sarama 1.22's idempotent producer: it requires Version >= V0_11_0_0, RequiredAcks WaitForAll,
// Retry.Max >= 1 and Net.MaxOpenRequests 1 (Config.Validate refuses anything else). The producer
// id it gets from InitProducerId stays inside the producer; the suite checks it with
// DescribeProducers.
func idempotentProducer() interface{} {
	admin := newAdmin()
	createTopic(admin, cfg.Topic, 3)
	admin.Close()
	c := newConfig()
	c.Producer.Idempotent = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Retry.Max = 5
	c.Net.MaxOpenRequests = 1
	c.Producer.Partitioner = sarama.NewHashPartitioner
	c.Producer.Flush.Messages = 30
	client, err := sarama.NewClient(brokers(), c)
	must(err, "client")
	defer client.Close()
	var msgs []*sarama.ProducerMessage
	for i := 0; i < 300; i++ {
		msgs = append(msgs, &sarama.ProducerMessage{Topic: cfg.Topic, Key: sarama.StringEncoder(fmt.Sprintf("k-%d", i)), Value: sarama.StringEncoder(strconv.Itoa(i))})
	}
	produce(client, msgs)
	read, used, inOrder := 0, 0, true
	distinct := map[string]bool{}
	for p := int32(0); p < 3; p++ {
		end, err := client.GetOffset(cfg.Topic, p, sarama.OffsetNewest)
		must(err, "get offset")
		if end == 0 {
			continue
		}
		used++
		got := readPartition(client, cfg.Topic, p, sarama.OffsetOldest, int(end))
		last := -1
		for _, m := range got {
			v, _ := strconv.Atoi(string(m.Value))
			inOrder = inOrder && v > last && string(m.Key) == fmt.Sprintf("k-%d", v)
			last = v
			distinct[string(m.Value)] = true
		}
		read += len(got)
	}
	return map[string]interface{}{"produced": len(msgs), "read": read, "distinct": len(distinct), "inOrder": inOrder, "partitionsUsed": used, "producerId": "not exposed"}
}
