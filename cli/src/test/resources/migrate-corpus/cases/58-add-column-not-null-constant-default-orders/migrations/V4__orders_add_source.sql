ALTER TABLE orders ADD COLUMN source text NOT NULL DEFAULT 'web';
