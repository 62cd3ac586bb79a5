import type { KafkaClientName } from '../src';

/** Every supported client: each adapter suite runs once per client. */
export const CLIENTS: KafkaClientName[] = ['platformatic', 'kafkajs', 'confluent'];

/** The clients a publisher runs on a publisher thread (`thread`): confluent refuses it. */
export const THREAD_CLIENTS = CLIENTS.filter((client) => client !== 'confluent');
