import type {
  Alert,
  Blocklist,
  ChallengeProvider,
  EventOf,
  GroupReservations,
  InventoryStore,
  Invitations,
  QueueingRoom,
  RateLimiter,
  ReconciliationRecord,
  ReservationRepository,
  Reservations,
  SaleDefinition,
  SaleDefinitionInput,
  SaleState,
  WaitingRoom,
} from '@seatrush/core';
import type { PaymentSimulator } from '../payment-simulator';
import type { SaleWaitingList } from './waiting-list';

/** A lifecycle command an operator sends to a sale. */
export type SaleCommand = 'warm-up' | 'open' | 'pause' | 'resume' | 'close';

/** The answer of a lifecycle command: the new state, or why it was refused. */
export type SaleCommandOutcome =
  | { ok: true; state: SaleState }
  | { ok: false; code: string; message: string; state: SaleState };

/** The operator's queueing choices made with the sale (beyond its definition). */
export interface SaleQueueing {
  /** Arrivals before `opensAt` wait in a pre-queue, shuffled into a fair random order at the opening. */
  preQueue?: boolean;
}

/** One sale as the app drives it: its services from the SDK and its lifecycle. */
export interface SaleRuntime {
  readonly sale: SaleDefinition;
  readonly waitingRoom: WaitingRoom;
  /** The same room with the operator's queueing controls: joins and the live method switch. */
  readonly queueing: QueueingRoom;
  /** Group allocation: N seats together (adjacent in a row when one has them) or nothing. */
  readonly groups: GroupReservations;
  /** The waiting list after sell-out: join, position, leave, claim an offer; its figures. */
  readonly waitingList: SaleWaitingList;
  readonly reservations: Reservations;
  /** Whether arrivals before `opensAt` wait in a pre-queue shuffled into a random order at the opening. */
  readonly preQueue: boolean;
  /** Where the sale is in its lifecycle (DRAFT → WARMING → READY → OPEN ⇄ PAUSED → CLOSED). */
  state(): SaleState;
  /** Whether warm-up loaded the sale into the store and verified it. */
  warm(): Promise<boolean>;
  command(command: SaleCommand): Promise<SaleCommandOutcome>;
  /** Compares the store with the source of truth and repairs the store when they disagree. */
  reconcile(): Promise<ReconciliationRecord>;
}

/**
 * Where dead letters are kept when they outlive the process (Kafka's dead-letter topic): every
 * worker's letters, not only this process's.
 */
export interface DeadLetterStore {
  list(): Promise<DeadLetterView[]>;
  /** Publishes the letter again to the topic it came from; false when there is no such letter. */
  redrive(id: string): Promise<boolean>;
}

/** A dead-lettered event as the operator sees it. */
export interface DeadLetterView {
  id: string;
  eventType: string | null;
  saleId: string | null;
  error: { code: string; message: string };
  attempts: number;
  source: string;
  /** Whether it holds a parsed event that can be published again. */
  redrivable: boolean;
  at: number;
}

/** A reservation's final result, as the worker published it. */
export type ReservationResult = EventOf<'ReservationConfirmed'> | EventOf<'ReservationFailed'>;

/** The state of one dependency for `/health`. */
export interface DependencyHealth {
  ok: boolean;
  detail?: string;
}

/**
 * Everything the app needs from SeatRush, whichever adapters sit below (in-memory or Redis +
 * Kafka + PostgreSQL): the HTTP layer only talks to this, so the same routes serve both.
 */
export interface Platform {
  readonly mode: 'memory' | 'servers';
  readonly inventory: InventoryStore;
  readonly repository: ReservationRepository;
  readonly rateLimiter: RateLimiter;
  readonly blocklist: Blocklist;
  readonly challenges: ChallengeProvider;
  readonly payments: PaymentSimulator;
  now(): number;
  /** Signs and checks the invitations of the bypass and priority lanes (one key for every sale). */
  readonly invitations: Invitations;
  /** Creates (or replaces, while not open) a sale and saves it in the source of truth. */
  createSale(input: SaleDefinitionInput, queueing?: SaleQueueing): Promise<SaleRuntime>;
  /**
   * Serves again every sale the source of truth has that is not closed (after a restart): each
   * is warmed where the store is cold, and opened when its time has come. Answers their ids.
   */
  restoreSales(): Promise<string[]>;
  sale(id: string): SaleRuntime | undefined;
  sales(): SaleRuntime[];
  /** Events published but not yet processed by the worker. */
  consumerLag(): Promise<number>;
  deadLetters(): Promise<DeadLetterView[]>;
  /** Publishes a dead-lettered event again; false when there is no such letter (or no event). */
  redrive(id: string): Promise<boolean>;
  /** Calls `listener` with every reservation result; returns the unsubscribe function. */
  onResult(listener: (result: ReservationResult) => void): () => void;
  /** The SDK's latest operator alerts (compensation failures, dead letters, inconsistencies). */
  recentAlerts(): Array<Alert & { at: number }>;
  /** Connection pools' usage for the metrics, by pool name. */
  pools(): Record<string, { total: number; idle: number; waiting: number }>;
  health(): Promise<Record<string, DependencyHealth>>;
  /** Starts the background loops (admission ticks, the hold sweeper, the worker when enabled). */
  start(): Promise<void>;
  /** Stops the loops, flushes the publisher and closes every connection. */
  close(): Promise<void>;
}
