"""What the Python runners of the compatibility suite share: the command line, the member
threads of the consumer-group scenario and its phases. Each runner supplies a client adapter."""
import json
import sys
import threading
import time


def wait_until(seconds, cond):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


class Tracker:
    """What every member of a group received, by value."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_member = {}
        self.errors = []

    def add(self, member, value):
        with self.lock:
            self.by_member.setdefault(member, set()).add(value)

    def count(self, prefix, *members):
        with self.lock:
            return len({v for m in members for v in self.by_member.get(m, ()) if v.startswith(prefix)})


class Member:
    """One group member polling in its own thread; `client.group_member` runs its loop."""

    def __init__(self, client, name, tracker):
        self.name, self.tracker, self.claims = name, tracker, []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, args=(client,), daemon=True)
        self.thread.start()

    def run(self, client):
        try:
            client.group_member(self)
        except Exception as e:  # reported in the scenario's result, not swallowed
            with self.tracker.lock:
                self.tracker.errors.append('%s: %r' % (self.name, e))

    def stop(self):
        self.stopping.set()
        self.thread.join(30)


def consumer_group(client, cfg):
    """Two members split a 3-partition topic and read 300 records; one leaves and the other takes
    every partition; both leave (committing); a new member resumes at the committed offsets."""
    client.create_topic(cfg['topic'], 3)
    client.produce_phase(cfg['topic'], 'p1', 100)
    t = Tracker()
    a, b = Member(client, 'a', t), Member(client, 'b', t)
    out = {'pairInTime': wait_until(60, lambda: t.count('p1', 'a', 'b') == 300)}
    out['split'] = wait_until(30, lambda: len(a.claims) > 0 and len(b.claims) > 0 and len(a.claims) + len(b.claims) == 3)
    out.update(pairReceived=t.count('p1', 'a', 'b'), claimsA=sorted(a.claims), claimsB=sorted(b.claims))
    a.stop()
    out['takeover'] = wait_until(30, lambda: len(b.claims) == 3)
    client.produce_phase(cfg['topic'], 'p2', 10)
    wait_until(30, lambda: t.count('p2', 'b') == 30)
    out['afterLeave'] = t.count('p2', 'b')
    b.stop()
    client.produce_phase(cfg['topic'], 'p3', 10)
    c = Member(client, 'c', t)
    wait_until(30, lambda: t.count('p3', 'c') == 30)
    c.stop()
    out.update(restartNew=t.count('p3', 'c'), restartReread=t.count('p1', 'c') + t.count('p2', 'c'), errors=t.errors)
    return out


def main(make_client):
    if len(sys.argv) != 3:
        sys.exit('usage: runner <scenario> <config-json>')
    scenario, cfg = sys.argv[1], json.loads(sys.argv[2])
    client = make_client(cfg)
    if scenario == 'consumer-group':
        result = consumer_group(client, cfg)
    else:
        fn = getattr(client, 'scenario_' + scenario.replace('-', '_'), None)
        if fn is None:
            sys.exit('unknown scenario %s' % scenario)
        result = fn()
    print(json.dumps(result, sort_keys=True))
    sys.stdout.flush()
