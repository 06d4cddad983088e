// Preload for benchmarks (NODE_OPTIONS="--require <this file>"): counts the process's garbage
// collections by kind and writes the running totals once a second as one JSON line to
// $BENCH_GC_LOG_DIR/gc-<pid>.jsonl ({ t: epoch ms, scavenges, markCompacts, gcMs }). A no-op
// when BENCH_GC_LOG_DIR is unset. `gc-report.cjs` turns the files into counts per window.
'use strict';
const dir = process.env.BENCH_GC_LOG_DIR;
if (dir) {
  const { appendFileSync } = require('node:fs');
  const { join } = require('node:path');
  const { PerformanceObserver, constants } = require('node:perf_hooks');
  const file = join(dir, `gc-${process.pid}.jsonl`);
  const totals = { scavenges: 0, markCompacts: 0, gcMs: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = e.detail ? e.detail.kind : e.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) totals.scavenges++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) totals.markCompacts++;
      totals.gcMs += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  const timer = setInterval(() => {
    try {
      appendFileSync(file, JSON.stringify({ t: Date.now(), ...totals }) + '\n');
    } catch {
      // the directory went away: stop writing
      clearInterval(timer);
    }
  }, 1000);
  timer.unref();
}
