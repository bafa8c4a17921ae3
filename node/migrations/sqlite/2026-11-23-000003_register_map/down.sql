ALTER TABLE registers DROP COLUMN standards;
ALTER TABLE registers DROP COLUMN register_type;
