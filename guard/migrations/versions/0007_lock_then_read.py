"""Lock, then read, in PostgreSQL: the functions the deciding paths call (contract v1.1).

`guard_lock_numbers` locks tracking numbers; `guard_parcel_view` is the single check's read
after its locks. Created after the facts gained `untimed` and `source` (0005), which it reads.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(LOCK_NUMBERS_FUNCTION)
        op.execute(PARCEL_VIEW_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS guard_parcel_view(text, text)")
        op.execute("DROP FUNCTION IF EXISTS guard_lock_numbers(text[])")


# Tracking numbers are locked by a transaction-scoped advisory lock (a number need not have a
# row to be locked), always in ascending order, always after the orders' row locks.
LOCK_NUMBERS_FUNCTION = """
CREATE OR REPLACE FUNCTION guard_lock_numbers(numbers text[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  n text;
BEGIN
  FOREACH n IN ARRAY ARRAY(SELECT DISTINCT x FROM unnest(numbers) AS x ORDER BY x) LOOP
    PERFORM pg_advisory_xact_lock(hashtextextended(n, 20261111));
  END LOOP;
END
$fn$"""

# The single check's read, in one round trip: lock the order, then the numbers its parcel
# claims, and only then read. In a VOLATILE function each statement takes a new snapshot
# (READ COMMITTED), so the read sees what was committed when the locks were granted — a
# single SELECT ... FOR UPDATE would judge the facts of the snapshot taken before it waited.
PARCEL_VIEW_FUNCTION = """
CREATE OR REPLACE FUNCTION guard_parcel_view(o text, p text) RETURNS text
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  numbers text[];
  view text;
BEGIN
  PERFORM 1 FROM orders WHERE order_id = o FOR UPDATE;
  numbers := ARRAY(SELECT tracking_number FROM tracking_claims WHERE order_id = o AND parcel_id = p);
  IF cardinality(numbers) > 0 THEN
    PERFORM guard_lock_numbers(numbers);
  END IF;
  SELECT json_build_array(
    (SELECT json_build_array(store_id, ship_by, ship_by_at) FROM orders WHERE order_id = o),
    (SELECT json_agg(json_build_array(fact_type, status, occurred_at, event_id, untimed, source))
       FROM facts WHERE order_id = o),
    (SELECT json_agg(json_build_array(code, fact_stamp, note, key_name, granted_at)) FROM waivers WHERE order_id = o),
    (SELECT row_to_json(h) FROM holds h WHERE order_id = o AND parcel_id = p),
    (SELECT json_build_array(notice_status, notice_occurred_at, notice_event_id, notice_untimed, notice_source,
                             tracking_number, carrier, shipment_id, handed_over_at)
       FROM parcels WHERE order_id = o AND parcel_id = p),
    (SELECT bool_or(conflict) FROM tracking_claims WHERE order_id = o AND parcel_id = p),
    (SELECT tracking_number FROM carrier_labels WHERE order_id = o AND parcel_id = p),
    (SELECT json_build_array(label_id, issued_at, station_id, tracking_number)
       FROM labels WHERE order_id = o AND parcel_id = p AND voided_at IS NULL),
    EXISTS (SELECT 1 FROM parcels WHERE order_id = o AND parcel_id <> p AND notice_status IS NOT NULL)
  )::text INTO view;
  RETURN view;
END
$fn$"""
