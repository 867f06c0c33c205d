-- Index methods: btree -> hash for the same index name; GIN on a tsvector
-- column and on a jsonb column (jsonb_path_ops) added; BRIN (with a storage
-- parameter) added; GIN on the array column dropped.
CREATE SCHEMA app;
CREATE TABLE app.document (
    id       bigint PRIMARY KEY,
    token    text,
    search   tsvector,
    attrs    jsonb,
    tags     text[],
    added_at date
);
CREATE INDEX document_token_idx ON app.document USING hash (token);
CREATE INDEX document_search_idx ON app.document USING gin (search);
CREATE INDEX document_attrs_idx ON app.document USING gin (attrs jsonb_path_ops);
CREATE INDEX document_added_idx ON app.document USING brin (added_at)
    WITH (pages_per_range = 32);
INSERT INTO app.document VALUES
    (1, 'abc', 'quick brown fox'::tsvector, '{"a": 1}', '{x,y}', '2024-01-01');
