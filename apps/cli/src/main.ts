import { Command } from 'commander';
import { register as registerBrokers } from './commands/brokers';
import { register as registerCerts } from './commands/certs';
import { register as registerCluster } from './commands/cluster';
import { register as registerConsume } from './commands/consume';
import { register as registerDev } from './commands/dev';
import { register as registerGroups } from './commands/groups';
import { register as registerShareGroups } from './commands/share-groups';
import { register as registerProduce } from './commands/produce';
import { register as registerProducers } from './commands/producers';
import { register as registerRecords } from './commands/records';
import { register as registerPartitions } from './commands/partitions';
import { register as registerTopics } from './commands/topics';
import { register as registerUsers } from './commands/users';
import { register as registerMessages } from './commands/messages';
import { register as registerAcls } from './commands/acls';
import { register as registerConfigs } from './commands/configs';
import { register as registerTransactions } from './commands/transactions';
import { register as registerFeatures } from './commands/features';
import { register as registerClientMetrics } from './commands/client-metrics';

const program = new Command('dms')
  .description('DMS: a Kafka-compatible distributed message service')
  .showHelpAfterError();

for (const register of [registerDev, registerCluster, registerBrokers, registerTopics, registerPartitions, registerProduce, registerConsume, registerGroups, registerShareGroups, registerUsers, registerAcls, registerConfigs, registerRecords, registerTransactions, registerProducers, registerCerts, registerMessages, registerFeatures, registerClientMetrics]) {
  register(program);
}

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`dms: ${err.message}\n`);
  process.exit(1);
});
