package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

// tracker counts what every member received, by value.
type tracker struct {
	mu       sync.Mutex
	byMember map[string]map[string]int
	errors   []string
}

func (t *tracker) add(member, value string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byMember[member] == nil {
		t.byMember[member] = map[string]int{}
	}
	t.byMember[member][value]++
}

// count is how many distinct values with this prefix the members received.
func (t *tracker) count(prefix string, members ...string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	seen := map[string]bool{}
	for _, m := range members {
		for v := range t.byMember[m] {
			if strings.HasPrefix(v, prefix) {
				seen[v] = true
			}
		}
	}
	return len(seen)
}

type member struct {
	name   string
	group  sarama.ConsumerGroup
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	claims []int32
	t      *tracker
}

func (m *member) Setup(s sarama.ConsumerGroupSession) error {
	m.mu.Lock()
	m.claims = append([]int32{}, s.Claims()[cfg.Topic]...)
	m.mu.Unlock()
	return nil
}

func (m *member) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (m *member) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for msg := range c.Messages() {
		m.t.add(m.name, string(msg.Value))
		s.MarkMessage(msg, "")
	}
	return nil
}

func (m *member) currentClaims() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]int32{}, m.claims...)
}

func startMember(name string, t *tracker) *member {
	g, err := sarama.NewConsumerGroup(brokers(), cfg.Group, newConfig())
	must(err, "consumer group "+name)
	ctx, cancel := context.WithCancel(context.Background())
	m := &member{name: name, group: g, cancel: cancel, done: make(chan struct{}), t: t}
	go func() {
		for e := range g.Errors() {
			t.mu.Lock()
			t.errors = append(t.errors, fmt.Sprintf("%s: %v", name, e))
			t.mu.Unlock()
		}
	}()
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{cfg.Topic}, m); err == sarama.ErrClosedConsumerGroup {
				return
			} else if err != nil {
				t.mu.Lock()
				t.errors = append(t.errors, fmt.Sprintf("%s: consume: %v", name, err))
				t.mu.Unlock()
				time.Sleep(200 * time.Millisecond)
			}
		}
	}()
	return m
}

// stop leaves the group: the session commits what was marked, then LeaveGroup.
func (m *member) stop() {
	m.cancel()
	must(m.group.Close(), "close "+m.name)
	<-m.done
}

func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

func producePhase(client sarama.Client, phase string, perPartition int) {
	var msgs []*sarama.ProducerMessage
	for p := int32(0); p < 3; p++ {
		for i := 0; i < perPartition; i++ {
			msgs = append(msgs, &sarama.ProducerMessage{Topic: cfg.Topic, Partition: p, Value: sarama.StringEncoder(fmt.Sprintf("%s-%d-%d", phase, p, i))})
		}
	}
	produce(client, msgs)
}

// Two members split a 3-partition topic and read 300 records; one leaves and the other takes
// every partition; both leave; a new member resumes at the committed offsets.
func groupScenario() interface{} {
	admin, err := sarama.NewClusterAdmin(brokers(), newConfig())
	must(err, "admin")
	createTopic(admin, cfg.Topic, 3)
	admin.Close()
	client := newClient()
	defer client.Close()
	producePhase(client, "p1", 100)

	t := &tracker{byMember: map[string]map[string]int{}}
	a, b := startMember("a", t), startMember("b", t)
	pair := waitUntil(60*time.Second, func() bool { return t.count("p1", "a", "b") == 300 })
	split := waitUntil(30*time.Second, func() bool {
		ca, cb := a.currentClaims(), b.currentClaims()
		return len(ca) > 0 && len(cb) > 0 && len(ca)+len(cb) == 3
	})
	out := map[string]interface{}{
		"pairReceived": t.count("p1", "a", "b"), "pairInTime": pair, "split": split,
		"claimsA": a.currentClaims(), "claimsB": b.currentClaims(),
	}

	a.stop()
	out["takeover"] = waitUntil(30*time.Second, func() bool { return len(b.currentClaims()) == 3 })
	producePhase(client, "p2", 10)
	waitUntil(30*time.Second, func() bool { return t.count("p2", "b") == 30 })
	out["afterLeave"] = t.count("p2", "b")
	b.stop()

	producePhase(client, "p3", 10)
	c := startMember("c", t)
	waitUntil(30*time.Second, func() bool { return t.count("p3", "c") == 30 })
	c.stop()
	out["restartNew"] = t.count("p3", "c")
	out["restartReread"] = t.count("p1", "c") + t.count("p2", "c")
	out["errors"] = t.errors
	return out
}
