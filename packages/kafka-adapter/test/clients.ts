import type { KafkaClientName } from '../src';

/** Every supported client: each adapter suite runs once per client. */
export const CLIENTS: KafkaClientName[] = ['platformatic', 'kafkajs'];
