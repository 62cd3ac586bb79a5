/**
 * Programmer and infrastructure errors. Expected business outcomes (sold out, seat taken, not
 * admitted, …) are never thrown: they are values with a stable `code` (see `ReserveOutcome`).
 */
export class SeatRushError extends Error {
  /** A stable, machine-readable code: safe to switch on and to send to clients. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One problem found in an input: where it is and what is wrong with it. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Bad input. Thrown before anything is changed, and lists every problem found, not the first. */
export class ValidationError extends SeatRushError {
  readonly issues: ValidationIssue[];

  constructor(what: string, issues: ValidationIssue[]) {
    super(
      'INVALID_INPUT',
      `invalid ${what}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
    );
    this.issues = issues;
  }
}

/** The sale is not known to the store (never warmed up, or a typo in its id). */
export class UnknownSaleError extends SeatRushError {
  constructor(saleId: string) {
    super('UNKNOWN_SALE', `unknown sale: ${saleId}`);
  }
}

/** A server (Redis, Kafka, PostgreSQL) failed or could not be reached; `cause` has the original. */
export class InfrastructureError extends SeatRushError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INFRASTRUCTURE', message, options);
  }
}

/**
 * The store could not be reached and the call was never sent: nothing changed. Thrown instead of
 * queueing a command for a connection that was lost (the command would run whenever the link
 * comes back, long after its caller was answered), so a hold request is refused (HTTP 503, try
 * again) rather than answered "outcome unknown".
 */
export class StoreUnavailableError extends InfrastructureError {}

/** An event could not be published. The caller compensates what it had changed. */
export class PublishError extends SeatRushError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PUBLISH_FAILED', message, options);
  }
}

/** A configuration value is wrong; raised once, at construction. */
export class ConfigurationError extends SeatRushError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_CONFIGURATION', message, options);
  }
}
