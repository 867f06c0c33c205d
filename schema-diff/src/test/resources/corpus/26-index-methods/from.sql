CREATE SCHEMA app;
CREATE TABLE app.document (
    id       bigint PRIMARY KEY,
    token    text,
    search   tsvector,
    attrs    jsonb,
    tags     text[],
    added_at date
);
CREATE INDEX document_token_idx ON app.document (token);
CREATE INDEX document_tags_idx ON app.document USING gin (tags);
INSERT INTO app.document VALUES
    (1, 'abc', 'quick brown fox'::tsvector, '{"a": 1}', '{x,y}', '2024-01-01');
