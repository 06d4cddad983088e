// Init container of brokers and gateways: writes the zone of the node this pod runs on
// (label topology.kubernetes.io/zone) to the file given as argument, for broker.rack. The
// downward API cannot read node labels, so this asks the API server for the one node, with the
// pod's service account (RBAC: get on nodes, nothing else). No zone label: an empty file (no rack).
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const https = require('node:https');

const out = process.argv[2];
const node = process.env.NODE_NAME;
const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
const host = process.env.KUBERNETES_SERVICE_HOST;
const port = process.env.KUBERNETES_SERVICE_PORT || '443';
if (!out || !node || !host) {
  console.error('zone-of-node: needs an output file, NODE_NAME (downward API spec.nodeName) and the in-cluster API address');
  process.exit(2);
}
const req = https.get(
  {
    host,
    port,
    path: `/api/v1/nodes/${encodeURIComponent(node)}`,
    ca: readFileSync(`${sa}/ca.crt`),
    headers: { authorization: `Bearer ${readFileSync(`${sa}/token`, 'utf8').trim()}`, accept: 'application/json' },
    timeout: 10000,
  },
  (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c) => (body += c));
    res.on('end', () => {
      if (res.statusCode !== 200) {
        console.error(`zone-of-node: GET node ${node} answered ${res.statusCode}: ${body.slice(0, 300)}`);
        process.exit(1);
      }
      const labels = JSON.parse(body).metadata.labels || {};
      const zone = labels['topology.kubernetes.io/zone'] || '';
      writeFileSync(out, zone);
      console.log(zone ? `node ${node} is in zone ${zone}` : `node ${node} has no topology.kubernetes.io/zone label: no rack`);
    });
  },
);
req.on('timeout', () => req.destroy(new Error('timed out')));
req.on('error', (err) => {
  console.error(`zone-of-node: cannot read node ${node}: ${err.message}`);
  process.exit(1);
});
