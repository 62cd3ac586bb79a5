/**
 * Rows as one array per field, in `fields` order: the parameters of an
 * `INSERT … SELECT FROM unnest($1::text[], …)`, one a column whatever the batch size. `encode` turns a
 * field's value into what its SQL array can hold (an array of seat ids travels joined, or as JSON,
 * because `unnest` would flatten an array of arrays).
 */
export function unnestColumns<Row, Field extends keyof Row>(
  rows: readonly Row[],
  fields: readonly Field[],
  encode: { [F in Field]?: (value: Row[F]) => unknown } = {},
): unknown[][] {
  return fields.map((field) => {
    const encoded = encode[field];
    return encoded ? rows.map((row) => encoded(row[field])) : rows.map((row) => row[field]);
  });
}
