-- tix schema version 2 on PostgreSQL: what a promoter records beside a sale. An order
-- keeps the reference of the outside payment that paid it and of the refund that
-- returned it; an event keeps the text printed on its tickets. Never edit once released.
ALTER TABLE orders ADD COLUMN payment_ref TEXT;
ALTER TABLE orders ADD COLUMN refund_ref TEXT;
ALTER TABLE events ADD COLUMN ticket_note TEXT;
