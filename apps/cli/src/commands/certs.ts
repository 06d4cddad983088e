// `dms certs create`: the internal CA and one role certificate per service, for mutual TLS between
// DMS services (internal.security.protocol=SSL, the default) in a real deployment.
import { Command } from 'commander';
import { resolve } from 'node:path';
import { createInternalCerts, internalSslConfig, type InternalRole } from '@dms/devcluster';
import { processIo, type CliIo } from '@dms/kafka-client';

function idList(flag: string) {
  return (value: string): number[] => {
    const ids = value.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
    if (ids.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`${flag} takes ids like 1,2,3`);
    return ids;
  };
}

interface CreateOptions {
  dir: string;
  controllers: number[];
  brokers: number[];
  gateways: number[];
  admins: number[];
  consoles: number[];
  hosts: string;
  json?: boolean;
}

export function register(program: Command, io: CliIo = processIo): void {
  const certs = program.command('certs').description('certificates for mutual TLS between DMS services');
  certs.command('create')
    .description('create (or complete) an internal CA and a certificate per service naming it as dms://<role>/<id>; existing files are kept')
    .requiredOption('--dir <dir>', 'directory for the CA and certificates (keys are written 0600; keep ca-key.pem off the servers)')
    .option('--controllers <ids>', 'controller ids, e.g. 1,2,3', idList('--controllers'), [] as number[])
    .option('--brokers <ids>', 'broker ids, e.g. 1,2,3', idList('--brokers'), [] as number[])
    .option('--gateways <ids>', 'gateway node ids, e.g. 1,2', idList('--gateways'), [] as number[])
    .option('--admins <ids>', 'operator certificates (dms://admin/<id>) for maintenance commands such as `dms brokers log-dirs --online`', idList('--admins'), [] as number[])
    .option('--consoles <ids>', 'web console certificates (dms://console/<id>) for the message query RPC', idList('--consoles'), [] as number[])
    .option('--hosts <names>', 'host names and addresses to list in each certificate (informational: peers check the role, not the address)', '127.0.0.1,localhost')
    .option('--json', 'print the files as JSON')
    .action((opts: CreateOptions) => {
      const services: { role: InternalRole; id: number }[] = [
        ...opts.controllers.map((id) => ({ role: 'controller' as const, id })),
        ...opts.brokers.map((id) => ({ role: 'broker' as const, id })),
        ...opts.gateways.map((id) => ({ role: 'gateway' as const, id })),
        ...opts.admins.map((id) => ({ role: 'admin' as const, id })),
        ...opts.consoles.map((id) => ({ role: 'console' as const, id })),
      ];
      if (services.length === 0) throw new Error('name at least one service with --controllers, --brokers, --gateways, --admins or --consoles');
      const hosts = opts.hosts.split(',').map((s) => s.trim()).filter(Boolean);
      const made = createInternalCerts(resolve(opts.dir), services, hosts);
      if (opts.json) {
        io.out(JSON.stringify({ ca: made.ca.ca, services: made.services }) + '\n');
        return;
      }
      io.out(`Internal CA: ${made.ca.ca} (its key ${made.ca.caKey} signs service certificates; keep it off the servers)\n`);
      for (const s of made.services) {
        io.out(`\n${s.role} ${s.id}:\n`);
        for (const [k, v] of Object.entries(internalSslConfig(s))) io.out(`  --${k} ${v}\n`);
      }
    });
}
