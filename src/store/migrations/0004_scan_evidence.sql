-- tix schema version 4: what each scan was based on, so offline admissions can be
-- re-checked and reported. Never edit once released.

-- How the ticket was named at the gate: a scanned QR code, a ticket UUID typed by
-- staff, or a manual admission by ticket id from the door list.
ALTER TABLE scans ADD COLUMN method TEXT NOT NULL DEFAULT 'code'
    CHECK (method IN ('code', 'typed', 'manual'));
-- The code as presented, for scans merged from gate files (the evidence merge checked).
ALTER TABLE scans ADD COLUMN code TEXT;
-- The conflict merge found for an offline admission (double_admission, forged_code, …).
ALTER TABLE scans ADD COLUMN conflict TEXT;
