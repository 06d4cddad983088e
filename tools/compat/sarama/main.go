// The sarama runner of the compatibility suite: `sarama-runner <scenario> <config-json>` runs one
// scenario of tools/compat/scenarios.ts with Debian's sarama 1.22 (Version V2_1_0_0) and prints
// one JSON object on stdout; a failure exits 1 with the reason on stderr.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"
	"strings"
	"time"

	"github.com/Shopify/sarama"
)

type security struct {
	Mechanism string `json:"mechanism"`
	Username  string `json:"username"`
	Password  string `json:"password"`
	CaFile    string `json:"caFile"`
}

type config struct {
	Bootstrap string    `json:"bootstrap"`
	Topic     string    `json:"topic"`
	Group     string    `json:"group"`
	Security  *security `json:"security"`
}

var cfg config

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func must(err error, what string) {
	if err != nil {
		fail("%s: %v", what, err)
	}
}

func newConfig() *sarama.Config {
	c := sarama.NewConfig()
	c.Version = sarama.V2_1_0_0
	c.ClientID = "dms-compat-sarama"
	c.Producer.Return.Successes = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Producer.MaxMessageBytes = 2 << 20
	c.Consumer.Return.Errors = true
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Group.Session.Timeout = 6 * time.Second
	c.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
	c.Consumer.Offsets.CommitInterval = 200 * time.Millisecond
	c.Metadata.Retry.Backoff = 200 * time.Millisecond
	if s := cfg.Security; s != nil {
		pem, err := ioutil.ReadFile(s.CaFile)
		must(err, "read CA")
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		c.Net.TLS.Enable = true
		c.Net.TLS.Config = &tls.Config{RootCAs: pool}
		c.Net.SASL.Enable = true
		c.Net.SASL.Handshake = true
		c.Net.SASL.Mechanism = sarama.SASLMechanism(s.Mechanism)
		c.Net.SASL.User = s.Username
		c.Net.SASL.Password = s.Password
		c.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return newScram(s.Mechanism) }
	}
	return c
}

func brokers() []string { return []string{cfg.Bootstrap} }

func newClient() sarama.Client {
	c, err := sarama.NewClient(brokers(), newConfig())
	must(err, "client")
	return c
}

func createTopic(admin sarama.ClusterAdmin, topic string, partitions int32) {
	err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1}, false)
	if err != nil && err != sarama.ErrTopicAlreadyExists {
		if te, ok := err.(*sarama.TopicError); !ok || te.Err != sarama.ErrTopicAlreadyExists {
			fail("create topic %s: %v", topic, err)
		}
	}
}

func produce(client sarama.Client, msgs []*sarama.ProducerMessage) {
	p, err := sarama.NewSyncProducerFromClient(client)
	must(err, "producer")
	must(p.SendMessages(msgs), "send")
	must(p.Close(), "close producer")
}

// readPartition reads n records of one partition from `from`, with a deadline.
func readPartition(client sarama.Client, topic string, partition int32, from int64, n int) []*sarama.ConsumerMessage {
	consumer, err := sarama.NewConsumerFromClient(client)
	must(err, "consumer")
	defer consumer.Close()
	pc, err := consumer.ConsumePartition(topic, partition, from)
	must(err, "consume partition")
	defer pc.Close()
	var out []*sarama.ConsumerMessage
	deadline := time.After(30 * time.Second)
	for len(out) < n {
		select {
		case m := <-pc.Messages():
			out = append(out, m)
		case e := <-pc.Errors():
			fail("consume %s/%d: %v", topic, partition, e)
		case <-deadline:
			fail("consume %s/%d: %d of %d records before the deadline", topic, partition, len(out), n)
		}
	}
	return out
}

func metadata() interface{} {
	client := newClient()
	defer client.Close()
	must(client.RefreshMetadata(cfg.Topic), "metadata")
	var ids []int32
	for _, b := range client.Brokers() {
		ids = append(ids, b.ID())
	}
	parts, err := client.Partitions(cfg.Topic)
	must(err, "partitions")
	leadersListed := true
	for _, p := range parts {
		l, err := client.Leader(cfg.Topic, p)
		must(err, "leader")
		found := false
		for _, id := range ids {
			found = found || id == l.ID()
		}
		leadersListed = leadersListed && found
	}
	return map[string]interface{}{"brokers": ids, "partitions": len(parts), "leadersListed": leadersListed}
}

func createTopicScenario() interface{} {
	admin, err := sarama.NewClusterAdmin(brokers(), newConfig())
	must(err, "admin")
	defer admin.Close()
	createTopic(admin, cfg.Topic, 3)
	meta, err := admin.DescribeTopics([]string{cfg.Topic})
	must(err, "describe topics")
	return map[string]interface{}{"partitions": len(meta[0].Partitions), "error": int(meta[0].Err)}
}

var codecs = map[string]sarama.CompressionCodec{
	"none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP, "snappy": sarama.CompressionSnappy,
	"lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD,
}

func codecsScenario() interface{} {
	out := map[string]int{}
	for name, codec := range codecs {
		c := newConfig()
		c.Producer.Compression = codec
		client, err := sarama.NewClient(brokers(), c)
		must(err, "client")
		topic := cfg.Topic + "-" + name
		var msgs []*sarama.ProducerMessage
		for i := 0; i < 200; i++ {
			v := fmt.Sprintf("%s-%d-%s", name, i, strings.Repeat("x", i%50))
			msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprint(i)), Value: sarama.StringEncoder(v)})
		}
		produce(client, msgs)
		got := readPartition(client, topic, 0, sarama.OffsetOldest, len(msgs))
		for i, m := range got {
			want, _ := msgs[i].Value.Encode()
			if string(m.Value) != string(want) || string(m.Key) != fmt.Sprint(i) {
				fail("%s: record %d read back as %q", name, i, m.Value)
			}
		}
		out[name] = len(got)
		client.Close()
	}
	return out
}

func main() {
	if len(os.Args) != 3 {
		fail("usage: sarama-runner <scenario> <config-json>")
	}
	must(json.Unmarshal([]byte(os.Args[2]), &cfg), "config")
	scenarios := map[string]func() interface{}{
		"metadata": metadata, "create-topic": createTopicScenario, "codecs": codecsScenario,
		"consumer-group": groupScenario, "offsets-by-time": offsetsByTime, "large-message": largeMessage,
		"admin": adminScenario, "admin-configs": adminConfigs, "sasl-ssl": saslSsl,
		"idempotent-producer": idempotentProducer,
	}
	run, ok := scenarios[os.Args[1]]
	if !ok {
		fail("unknown scenario %s", os.Args[1])
	}
	out, _ := json.Marshal(run())
	fmt.Println(string(out))
}
