export { type Outgoing, PartitionAssigner, type SendOptions, sendAcknowledged } from './acknowledged-send';
export { type KafkaPorts, type KafkaPortsOptions, kafkaPorts } from './bundle';
export { KafkaClientUnavailableError } from './clients/confluent';
export {
  type Compression,
  DEFAULT_CLIENT,
  type IncomingHeaders,
  type IncomingMessage,
  type KafkaClientName,
  type OutgoingHeaders,
  type OutgoingMessage,
} from './clients/types';
export {
  bodyOf,
  checkEvents,
  type Decoded,
  decodeEvent,
  encodeEvent,
  HEADERS,
  headerOf,
  type KeyStrategy,
} from './codec';
export { createKafka, type KafkaConnection, KafkaConnectionSchema } from './connection';
export { KafkaEventConsumer, type KafkaEventConsumerOptions } from './consumer';
export {
  DEAD_LETTER_HEADERS,
  type DeadLetterRecord,
  deadLetterMessage,
  describeOrigin,
  type MessageOrigin,
  originalHeaders,
  readDeadLetter,
} from './dead-letter';
export { kafkaDeadLetterStore } from './dead-letter-store';
export { type BatchOutcome, MicroBatcher, type MicroBatcherOptions } from './micro-batcher';
export {
  ensureTopics,
  type ProvisionResult,
  provisionTopics,
  type TopicSettings,
  TopicSettingsSchema,
} from './provision';
export {
  DEFAULT_PUBLISHER_PRODUCERS,
  KafkaEventPublisher,
  type KafkaEventPublisherOptions,
} from './publisher';
export {
  REDRIVEN_FROM_HEADER,
  type RedriveResult,
  type ReplayResult,
  readDeadLetters,
  redriveDeadLetters,
  replayEvents,
} from './replay';
export { backoffDelay, DEFAULT_RETRY_POLICY, RetryPolicySchema } from './retry';
export { type ReadFrom, readTopic } from './topic-reader';
export {
  DEAD_LETTER_TOPIC,
  DEFAULT_TOPIC_PREFIX,
  EVENT_TOPICS,
  EVENT_TYPES,
  TopicNames,
  TopicPrefix,
} from './topics';
