// Garbage collections per process over a time window, from the files gc-observer.cjs wrote:
//   node tools/bench/gc-report.cjs <gc-log-dir> <cluster.json> <fromEpochMs> <toEpochMs>
// prints one JSON object: per service (role-id) the scavenges, mark-compacts and GC ms in the
// window, and the same per 10 s.
'use strict';
const { readFileSync, readdirSync } = require('node:fs');
const { join } = require('node:path');
const [dir, clusterFile, fromArg, toArg] = process.argv.slice(2);
const from = Number(fromArg);
const to = Number(toArg);
const cluster = JSON.parse(readFileSync(clusterFile, 'utf8'));
const names = new Map();
for (const s of cluster.services ?? cluster.processes ?? []) names.set(Number(s.pid), `${s.role}-${s.id}`);
const at = (rows, t) => rows.reduce((best, r) => (r.t <= t ? r : best), rows[0]);
const out = {};
for (const f of readdirSync(dir)) {
  const m = /^gc-(\d+)\.jsonl$/.exec(f);
  if (!m || !names.has(Number(m[1]))) continue;
  const rows = readFileSync(join(dir, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const a = at(rows, from);
  const b = at(rows, to);
  const secs = (b.t - a.t) / 1000 || 1;
  const d = (k) => b[k] - a[k];
  out[names.get(Number(m[1]))] = {
    scavenges: d('scavenges'),
    markCompacts: d('markCompacts'),
    gcMs: Math.round(d('gcMs')),
    scavengesPer10s: +((d('scavenges') * 10) / secs).toFixed(1),
    gcMsPer10s: Math.round((d('gcMs') * 10) / secs),
  };
}
console.log(JSON.stringify(out));
