-- What a register descriptor for the register map carries besides the basics.
ALTER TABLE registers ADD COLUMN register_type TEXT;
ALTER TABLE registers ADD COLUMN standards TEXT NOT NULL DEFAULT '';
