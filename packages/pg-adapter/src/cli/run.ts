import { parseArgs } from 'node:util';
import { SeatRushError } from '@seatrush/core';
import { createPgConnection } from '../connection';
import { migrate, migrationStatus } from '../migrations';
import { PgSaleMaintenance } from '../sale-maintenance';

/** What the CLI reads and writes: injected so it runs in-process in tests. */
export interface CliIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
  /** The operator's clock, for `close-sale`. */
  now: () => number;
}

const USAGE = `usage: seatrush-pg <command> [--url postgres://…] [--schema name]

commands:
  migrate               apply pending migrations (safe to run twice, and from several hosts at once)
  status                list applied and pending migrations
  close-sale <saleId>   mark a sale closed and build its reporting indexes (CREATE INDEX CONCURRENTLY)

--url defaults to $DATABASE_URL, --schema to $SEATRUSH_PG_SCHEMA or "seatrush".`;

/**
 * `seatrush-pg`: migrations and sale maintenance from a shell or a deploy step. Answers the
 * process exit code: 0 on success, 1 on failure, 2 on a usage error.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help || command === undefined || command === 'help') {
    io.out(USAGE);
    return command === undefined && !parsed.values.help ? 2 : 0;
  }
  const url = parsed.values.url ?? io.env.DATABASE_URL;
  if (!url) {
    io.err('no database: pass --url or set DATABASE_URL');
    return 2;
  }
  const schema = parsed.values.schema ?? io.env.SEATRUSH_PG_SCHEMA ?? 'seatrush';
  let connection: ReturnType<typeof createPgConnection> | undefined;
  try {
    connection = createPgConnection({
      connectionString: url,
      schema,
      pool: { max: 1 },
      applicationName: 'seatrush-pg',
    });
    switch (command) {
      case 'migrate': {
        const report = await migrate(connection.primary, { schema });
        io.out(
          report.applied.length > 0
            ? `schema ${schema}: applied ${report.applied.join(', ')}`
            : `schema ${schema}: up to date (${report.alreadyApplied.length} migrations)`,
        );
        return 0;
      }
      case 'status': {
        const status = await migrationStatus(connection.primary, { schema });
        for (const m of status.applied)
          io.out(`applied  ${m.version} ${m.name} (${m.appliedAt.toISOString()})`);
        for (const m of status.pending) io.out(`pending  ${m.version} ${m.name}`);
        return 0;
      }
      case 'close-sale': {
        const [saleId] = rest;
        if (!saleId) {
          io.err(`close-sale needs a sale id\n${USAGE}`);
          return 2;
        }
        const { indexes } = await new PgSaleMaintenance(connection).closeSale(saleId, io.now());
        io.out(`sale ${saleId} closed; reporting indexes: ${indexes.join(', ')}`);
        return 0;
      }
      default:
        io.err(`unknown command ${command}\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    const code = error instanceof SeatRushError ? `${error.code}: ` : '';
    io.err(`${code}${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await connection?.close();
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: { url: { type: 'string' }, schema: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
}
