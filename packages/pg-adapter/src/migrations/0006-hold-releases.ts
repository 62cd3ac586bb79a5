/**
 * The buyers' releases of their holds (issue 20, `ReservationRepository.recordRelease`): written
 * before a release is answered, so a rebuild of a wiped store never holds a released hold again
 * while its row is still in flight (the release's event not yet handled) or not yet written. No
 * foreign key: the reservation's row may come after its release. One row per reservation, the
 * first release stands; the primary key is the lookup (`listReleased` asks by id).
 */
export const sql = /* sql */ `
CREATE TABLE {{schema}}.hold_releases (
  reservation_id text PRIMARY KEY,
  sale_id        text NOT NULL,
  released_at    bigint NOT NULL CHECK (released_at >= 0)
);
`;
