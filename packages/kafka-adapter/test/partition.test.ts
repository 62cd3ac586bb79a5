import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { javaPartition } from '../src/clients/partitions';

describe('javaPartition', () => {
  it('puts every key on the partition kafkajs (and Java) would choose, so switching clients keeps order', () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 3, 6, 12]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
        partitionId,
        leader: 1,
        partitionErrorCode: 0,
        replicas: [1],
        isr: [1],
        offlineReplicas: [],
      }));
      for (let n = 0; n < 2_000; n += 1) {
        const key = `r${n}-${'x'.repeat(n % 17)}`;
        expect(javaPartition(key, partitions)).toBe(
          kafkajs({ topic: 't', partitionMetadata, message: { key, value: null } }),
        );
      }
    }
  });
});
