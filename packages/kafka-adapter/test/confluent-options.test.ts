import { ConfigurationError } from '@seatrush/core';
import { describe, expect, it } from 'vitest';
import { KafkaEventPublisher } from '../src';

describe("the confluent client's options", () => {
  it('refuses a publisher thread, whose worker could not load the native addon', () => {
    expect(
      () =>
        new KafkaEventPublisher({
          connection: { brokers: ['127.0.0.1:9'] },
          client: 'confluent',
          thread: true,
        }),
    ).toThrow(ConfigurationError);
  });
});
