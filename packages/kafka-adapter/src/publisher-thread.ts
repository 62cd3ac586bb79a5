/**
 * The publisher thread's entry (see `clients/threaded.ts`): one producer of the chosen client,
 * driven by the messages of the publisher on the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { confluentOffThread } from './clients/confluent';
import { KafkajsProducer } from './clients/kafkajs';
import { PlatformaticProducer } from './clients/platformatic';
import {
  type ProducerAnswer,
  type ProducerCall,
  type ProducerThreadData,
  unpackOutgoing,
} from './clients/threaded';
import type { ProducerDriver } from './clients/types';
import { createKafka } from './connection';

const data = workerData as ProducerThreadData;
if (data.client === 'confluent') throw confluentOffThread(); // the publisher refuses it first
const producer: ProducerDriver =
  data.client === 'kafkajs'
    ? new KafkajsProducer(createKafka(data.connection), data.settings)
    : new PlatformaticProducer(data.connection, data.settings);

parentPort!.on('message', (call: ProducerCall) => {
  const run = (): Promise<unknown> => {
    switch (call.op) {
      case 'connect':
        return producer.connect();
      case 'close':
        return producer.close();
      case 'assign':
        return producer.assign(call.outgoing);
      case 'send':
        return producer.send(call.outgoing);
      case 'sendPacked':
        // null: all acknowledged (the common answer, kept small)
        return producer
          .send(unpackOutgoing(call.packed))
          .then((outcome) => (outcome.every((error) => error === undefined) ? null : outcome));
    }
  };
  run().then(
    (value) => parentPort!.postMessage({ id: call.id, ok: true, value } satisfies ProducerAnswer),
    (error: unknown) => parentPort!.postMessage({ id: call.id, ok: false, error } satisfies ProducerAnswer),
  );
});
