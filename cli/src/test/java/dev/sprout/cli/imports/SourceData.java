package dev.sprout.cli.imports;

import dev.sprout.testkit.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Fills a {@link SourceCluster} with what an import must carry over: {@link #loadObjectZoo} the many kinds of
 * objects PostgreSQL has, with deterministic rows (no random(), no now()); {@link #loadPgbench} the real
 * {@code pgbench -i}.
 */
public final class SourceData {
    /** The extensions shipped with PostgreSQL that the zoo uses when they are installed. */
    public static final List<String> EXTENSIONS = List.of("pgcrypto", "hstore", "pg_trgm", "citext");

    /** The databases the zoo creates beside {@code postgres}. */
    public static final List<String> DATABASES = List.of("app", "analytics");

    public static final String ALICE_PASSWORD = "alice-pw";
    /** bob's password is stored as MD5: a SCRAM-SHA-256 line of pg_hba.conf cannot let him in with it. */
    public static final String BOB_PASSWORD = "bob-pw";

    public static final String REPL_PASSWORD = "repl-pw";
    public static final String PLAIN_PASSWORD = "plain-pw";

    private static final Duration PGBENCH_TIMEOUT = Duration.ofMinutes(30);

    private SourceData() {}

    /**
     * Roles, the databases {@code app} and {@code analytics}, and their objects; see the statements below for
     * every one. Roles: {@code alice} (LOGIN, {@value #ALICE_PASSWORD}, member of app_owner), {@code bob} (LOGIN,
     * {@value #BOB_PASSWORD} stored as MD5), {@code app_owner} (NOLOGIN, owns database app and its objects),
     * {@code repl} (LOGIN REPLICATION, {@value #REPL_PASSWORD}), {@code plain} (LOGIN, {@value #PLAIN_PASSWORD}, no
     * REPLICATION). An extension of {@link #EXTENSIONS} that is not installed is skipped, with a message, and what
     * would have used it falls back to a built-in type or is left out.
     */
    public static void loadObjectZoo(SourceCluster pg) throws SQLException {
        pg.execute("postgres", postgresStatements().toArray(String[]::new));
        Set<String> extensions = availableExtensions(pg);
        pg.execute("app", appStatements(extensions).toArray(String[]::new));
        pg.execute("analytics", analyticsStatements().toArray(String[]::new));
        for (String database : List.of("postgres", "app", "analytics")) {
            pg.execute(database, "VACUUM (ANALYZE)");
        }
        pg.execute("postgres", "CHECKPOINT");
    }

    /**
     * {@code pgbench -i -s scale -q} into {@code database} as postgres (its password in PGPASSWORD): tables
     * pgbench_accounts (100,000 rows per scale), pgbench_branches, pgbench_tellers, pgbench_history.
     *
     * @throws AssertionError holding pgbench's output when it fails
     */
    public static void loadPgbench(SourceCluster pg, String database, int scale) {
        List<String> command = List.of(
                pg.install().tool("pgbench").toString(),
                "-i",
                "-s",
                Integer.toString(scale),
                "-q",
                "-h",
                "127.0.0.1",
                "-p",
                Integer.toString(pg.port()),
                "-U",
                Sql.SUPERUSER,
                database);
        ClientProgram.run(command, pg.password(), PGBENCH_TIMEOUT);
    }

    /** Of {@link #EXTENSIONS}, those this PostgreSQL has installed; a message for each one it has not. */
    private static Set<String> availableExtensions(SourceCluster pg) throws SQLException {
        Set<String> available = new LinkedHashSet<>();
        try (Connection c = pg.connect("app");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT name FROM pg_available_extensions")) {
            while (rs.next()) {
                available.add(rs.getString(1));
            }
        }
        Set<String> usable = new LinkedHashSet<>();
        for (String extension : EXTENSIONS) {
            if (available.contains(extension)) {
                usable.add(extension);
            } else {
                System.out.println("SourceData: extension " + extension + " is not installed in "
                        + pg.install().binDir() + " (no " + extension + ".control); the zoo is loaded without it");
            }
        }
        return usable;
    }

    private static List<String> postgresStatements() {
        return List.of(
                "CREATE ROLE app_owner NOLOGIN",
                "CREATE ROLE alice LOGIN PASSWORD '" + ALICE_PASSWORD + "'",
                "SET password_encryption = 'md5'",
                "CREATE ROLE bob LOGIN PASSWORD '" + BOB_PASSWORD + "'",
                "RESET password_encryption",
                "CREATE ROLE repl LOGIN REPLICATION PASSWORD '" + REPL_PASSWORD + "'",
                "CREATE ROLE plain LOGIN PASSWORD '" + PLAIN_PASSWORD + "'",
                "GRANT app_owner TO alice",
                "ALTER ROLE alice SET search_path = shop, public",
                "COMMENT ON ROLE app_owner IS 'Owns database app and everything in it; nobody logs in as it'",
                "CREATE DATABASE app OWNER app_owner",
                "CREATE DATABASE analytics OWNER alice",
                "COMMENT ON DATABASE app IS 'The shop: schemas shop and audit, pgbench in public'",
                "ALTER DATABASE app SET work_mem = '8MB'",
                """
                CREATE TABLE public.source_marker (
                    id integer PRIMARY KEY,
                    label text NOT NULL,
                    made_at timestamptz NOT NULL)""",
                """
                INSERT INTO public.source_marker
                SELECT i, 'marker ' || md5(i::text), timestamptz '2024-03-01 00:00:00+00' + i * interval '1 hour'
                FROM generate_series(1, 2000) i""",
                "COMMENT ON TABLE public.source_marker IS 'A table in database postgres'");
    }

    private static List<String> analyticsStatements() {
        return List.of(
                "SET ROLE alice",
                """
                CREATE TABLE page_views (
                    id bigint PRIMARY KEY,
                    url text NOT NULL,
                    visited_at timestamptz NOT NULL,
                    duration_ms integer NOT NULL,
                    referrer text,
                    ok boolean NOT NULL,
                    client inet NOT NULL)""",
                """
                INSERT INTO page_views
                SELECT i, '/page/' || (i % 997), timestamptz '2024-01-01 00:00:00+00' + i * interval '37 seconds',
                       (i * 7919) % 30000,
                       CASE WHEN i % 3 = 0 THEN NULL ELSE 'https://ref' || (i % 13) || '.example/' END,
                       i % 17 <> 0, ('10.0.' || (i / 256) % 256 || '.' || i % 256)::inet
                FROM generate_series(1, 50000) i""",
                "CREATE INDEX page_views_visited_brin ON page_views USING brin (visited_at)",
                "CREATE INDEX page_views_url ON page_views (url)",
                """
                CREATE VIEW daily_views AS
                SELECT (visited_at AT TIME ZONE 'UTC')::date AS day, count(*) AS views
                FROM page_views GROUP BY 1""",
                "RESET ROLE");
    }

    /**
     * Database app: the extensions as postgres, then as app_owner schemas shop and audit with types, tables
     * (TOASTed text, bytea and jsonb; identity, serial and generated columns; a range and a hash partitioned
     * table; row-level security; unlogged; no primary key with duplicate rows; empty; no columns), indexes of
     * every common kind, sequences, views, materialized views (one never populated), functions, a trigger,
     * comments and grants.
     */
    private static List<String> appStatements(Set<String> ext) {
        boolean citext = ext.contains("citext");
        boolean hstore = ext.contains("hstore");
        boolean trgm = ext.contains("pg_trgm");
        boolean pgcrypto = ext.contains("pgcrypto");
        List<String> s = new ArrayList<>();
        for (String extension : ext) {
            s.add("CREATE EXTENSION " + extension);
        }
        s.add("SET ROLE app_owner");
        s.add("CREATE SCHEMA shop");
        s.add("CREATE SCHEMA audit");
        s.add("COMMENT ON SCHEMA shop IS 'Customers, products, orders'");
        s.add("CREATE TYPE shop.order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled')");
        s.add("CREATE DOMAIN shop.money_amount AS numeric(12, 2) CHECK (VALUE >= 0)");
        s.add("CREATE TYPE shop.address AS (street text, city text, zip text)");
        s.add("COMMENT ON TYPE shop.order_status IS 'Where an order is'");

        s.add("""
                CREATE TABLE shop.customers (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    email EMAIL_TYPE NOT NULL UNIQUE,
                    name text NOT NULL,
                    address shop.address,
                    attrs ATTRS_TYPE,
                    tags text[] NOT NULL,
                    external_id uuid NOT NULL,
                    created_at timestamptz NOT NULL)""".replace("EMAIL_TYPE", citext ? "citext" : "text").replace("ATTRS_TYPE", hstore ? "hstore" : "text"));
        s.add("""
                INSERT INTO shop.customers (email, name, address, attrs, tags, external_id, created_at)
                SELECT 'Customer' || i || '@Example.com', 'customer ' || md5(i::text),
                       ROW(i || ' Main Street', 'City ' || (i % 50), lpad((i % 99999)::text, 5, '0'))::shop.address,
                       ATTRS_VALUE,
                       ARRAY['t' || (i % 5), 't' || (i % 11)], md5('customer' || i)::uuid,
                       timestamptz '2023-01-01 00:00:00+00' + i * interval '17 minutes'
                FROM generate_series(1, 4000) i""".replace(
                        "ATTRS_VALUE",
                        hstore
                                ? "hstore(ARRAY['tier', 'region'], ARRAY[(i % 3)::text, 'r' || (i % 7)])"
                                : "'tier=>' || (i % 3) || ', region=>r' || (i % 7)"));

        s.add("""
                CREATE TABLE shop.products (
                    id serial PRIMARY KEY,
                    sku text NOT NULL UNIQUE,
                    title text NOT NULL,
                    description text NOT NULL,
                    manual text,
                    image bytea NOT NULL,
                    specs jsonb NOT NULL,
                    price shop.money_amount NOT NULL,
                    weight_kg double precision NOT NULL,
                    available daterange NOT NULL)""");
        // Out of line and uncompressed: a TOAST table that holds the values as they are.
        s.add("ALTER TABLE shop.products ALTER COLUMN manual SET STORAGE EXTERNAL");
        // Every third description is ~10 KB of hex that pglz cannot shrink by the quarter it needs: TOASTed out of
        // line; every fifth image 6,400 bytes; every tenth specs ~15 KB of jsonb.
        s.add("""
                INSERT INTO shop.products (sku, title, description, manual, image, specs, price, weight_kg, available)
                SELECT 'SKU-' || lpad(i::text, 6, '0'), 'Product ' || md5('p' || i),
                       CASE WHEN i % 3 = 0
                            THEN (SELECT string_agg(md5(i || ':' || j), ' ') FROM generate_series(1, 300) j)
                            ELSE 'short description ' || i END,
                       CASE WHEN i % 7 = 0 THEN repeat('manual page ' || i || '. ', 500) END,
                       CASE WHEN i % 5 = 0
                            THEN (SELECT decode(string_agg(md5(i || '/' || j), ''), 'hex')
                                  FROM generate_series(1, 400) j)
                            ELSE decode(md5(i::text), 'hex') END,
                       jsonb_build_object(
                           'dims', jsonb_build_array(i % 7, i % 11, i % 13),
                           'color', (ARRAY['red', 'green', 'blue'])[i % 3 + 1],
                           'history', (SELECT jsonb_agg(jsonb_build_object('v', j, 'h', md5(i || '#' || j)))
                                       FROM generate_series(1, CASE WHEN i % 10 = 0 THEN 250 ELSE 2 END) j)),
                       ((i * 37) % 10000) / 100.0 + 0.99, i * 0.37,
                       daterange(date '2024-01-01' + i % 365, date '2024-01-01' + i % 365 + 30)
                FROM generate_series(1, 3000) i""");

        s.add("""
                CREATE TABLE shop.orders (
                    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                    customer_id bigint NOT NULL REFERENCES shop.customers (id),
                    status shop.order_status NOT NULL DEFAULT 'new',
                    total shop.money_amount NOT NULL DEFAULT 0,
                    placed_at timestamptz NOT NULL,
                    ship_to shop.address,
                    note text)""");
        s.add("""
                INSERT INTO shop.orders (customer_id, status, placed_at, ship_to, note)
                SELECT 1 + (i * 7) % 4000,
                       (ARRAY['new', 'paid', 'shipped', 'cancelled']::shop.order_status[])[1 + i % 4],
                       timestamptz '2024-01-01 00:00:00+00' + i * interval '13 minutes',
                       ROW('Dock ' || (i % 20), 'Port ' || (i % 9), NULL)::shop.address,
                       CASE WHEN i % 10 = 0 THEN 'gift' END
                FROM generate_series(1, 6000) i""");
        s.add("""
                CREATE TABLE shop.order_lines (
                    order_id bigint NOT NULL REFERENCES shop.orders (id) ON DELETE CASCADE,
                    line_no smallint NOT NULL,
                    product_id integer NOT NULL REFERENCES shop.products (id),
                    quantity integer NOT NULL CHECK (quantity > 0),
                    unit_price shop.money_amount NOT NULL,
                    line_total numeric GENERATED ALWAYS AS (quantity * unit_price) STORED,
                    PRIMARY KEY (order_id, line_no))""");
        s.add("""
                INSERT INTO shop.order_lines (order_id, line_no, product_id, quantity, unit_price)
                SELECT o, l, 1 + (o * 31 + l * 17) % 3000, 1 + (o + l) % 5, ((o * 13 + l) % 5000) / 100.0
                FROM generate_series(1, 6000) o, generate_series(1, 3) l""");
        s.add("""
                UPDATE shop.orders o SET total = t.sum
                FROM (SELECT order_id, sum(line_total) FROM shop.order_lines GROUP BY order_id) t
                WHERE t.order_id = o.id""");

        s.add("""
                CREATE FUNCTION shop.order_total(p_order bigint) RETURNS numeric
                LANGUAGE plpgsql STABLE AS $$
                DECLARE
                    result numeric;
                BEGIN
                    SELECT coalesce(sum(line_total), 0) INTO result FROM shop.order_lines WHERE order_id = p_order;
                    RETURN result;
                END
                $$""");
        s.add("""
                CREATE FUNCTION shop.customer_label(c shop.customers) RETURNS text
                LANGUAGE sql STABLE AS $$ SELECT c.name || ' <' || c.email || '>' $$""");
        s.add("COMMENT ON FUNCTION shop.order_total(bigint) IS 'The sum of an order''s lines'");

        s.add("""
                CREATE TABLE audit.order_changes (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    order_id bigint NOT NULL,
                    old_status shop.order_status,
                    new_status shop.order_status,
                    changed_by name NOT NULL)""");
        s.add("""
                CREATE FUNCTION audit.record_order_change() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO audit.order_changes (order_id, old_status, new_status, changed_by)
                    VALUES (NEW.id, OLD.status, NEW.status, current_user);
                    RETURN NEW;
                END
                $$""");
        s.add("""
                CREATE TRIGGER orders_status_audit AFTER UPDATE OF status ON shop.orders
                FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
                EXECUTE FUNCTION audit.record_order_change()""");
        s.add("UPDATE shop.orders SET status = 'shipped' WHERE status = 'paid' AND id % 3 = 0");

        // Range partitioned by time, one partition list partitioned again, and a default partition.
        s.add("""
                CREATE TABLE shop.events (
                    id bigint NOT NULL,
                    happened_at timestamptz NOT NULL,
                    kind text NOT NULL,
                    payload jsonb,
                    PRIMARY KEY (id, happened_at, kind)) PARTITION BY RANGE (happened_at)""");
        s.add("""
                CREATE TABLE shop.events_2024_h1 PARTITION OF shop.events
                FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-07-01 00:00:00+00')""");
        s.add("""
                CREATE TABLE shop.events_2024_h2 PARTITION OF shop.events
                FOR VALUES FROM ('2024-07-01 00:00:00+00') TO ('2025-01-01 00:00:00+00') PARTITION BY LIST (kind)""");
        s.add("CREATE TABLE shop.events_2024_h2_clicks PARTITION OF shop.events_2024_h2 FOR VALUES IN ('click')");
        s.add("CREATE TABLE shop.events_2024_h2_other PARTITION OF shop.events_2024_h2 DEFAULT");
        s.add("CREATE TABLE shop.events_later PARTITION OF shop.events DEFAULT");
        s.add("CREATE INDEX events_kind ON shop.events (kind, happened_at)");
        s.add("""
                INSERT INTO shop.events
                SELECT i, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 hour',
                       (ARRAY['click', 'view', 'buy'])[1 + i % 3], jsonb_build_object('n', i, 'tag', md5(i::text))
                FROM generate_series(1, 12000) i""");
        // Hash partitioned.
        s.add("""
                CREATE TABLE shop.carts (customer_id bigint NOT NULL, product_id integer NOT NULL,
                                         quantity integer NOT NULL, PRIMARY KEY (customer_id, product_id))
                PARTITION BY HASH (customer_id)""");
        for (int r = 0; r < 4; r++) {
            s.add("CREATE TABLE shop.carts_" + r + " PARTITION OF shop.carts FOR VALUES WITH (MODULUS 4, REMAINDER " + r
                    + ")");
        }
        s.add("""
                INSERT INTO shop.carts
                SELECT 1 + i % 4000, 1 + (i * 7) % 3000, 1 + i % 3 FROM generate_series(1, 3000) i""");

        // Row-level security, forced on the owner too (superusers bypass it).
        s.add("""
                CREATE TABLE shop.notes (id integer PRIMARY KEY, author name NOT NULL, body text NOT NULL)""");
        s.add("""
                INSERT INTO shop.notes
                SELECT i, (ARRAY['alice', 'bob', 'app_owner'])[1 + i % 3], 'note ' || i || ' ' || md5(i::text)
                FROM generate_series(1, 3000) i""");
        s.add("ALTER TABLE shop.notes ENABLE ROW LEVEL SECURITY");
        s.add("ALTER TABLE shop.notes FORCE ROW LEVEL SECURITY");
        s.add("""
                CREATE POLICY notes_by_author ON shop.notes
                USING (author = current_user) WITH CHECK (author = current_user)""");

        // Unlogged: a base backup copies only its init fork, not its rows.
        s.add("""
                CREATE UNLOGGED TABLE shop.sessions (
                    token text PRIMARY KEY,
                    customer_id bigint NOT NULL,
                    expires_at timestamptz NOT NULL)""");
        s.add("""
                INSERT INTO shop.sessions
                SELECT md5('session' || i), 1 + i % 4000, timestamptz '2025-01-01 00:00:00+00' + i * interval '1 minute'
                FROM generate_series(1, 3000) i""");

        // No primary key, and rows that are there more than once.
        s.add("CREATE TABLE public.raw_imports (line text NOT NULL, n integer NOT NULL)");
        s.add("""
                INSERT INTO public.raw_imports
                SELECT 'line ' || (i % 1000), i % 7 FROM generate_series(1, 3000) i""");
        s.add("CREATE TABLE shop.nothing_yet (id integer PRIMARY KEY, what text)");
        s.add("CREATE TABLE shop.no_columns ()");
        s.add("INSERT INTO shop.no_columns SELECT FROM generate_series(1, 5)");

        // Sequences: one used by a column default and past its start, one never called.
        s.add("CREATE SEQUENCE shop.invoice_no START 1000 INCREMENT 7");
        s.add("SELECT nextval('shop.invoice_no') FROM generate_series(1, 42)");
        s.add("CREATE SEQUENCE shop.unused_seq");
        s.add("""
                CREATE TABLE shop.invoices (
                    no bigint PRIMARY KEY DEFAULT nextval('shop.invoice_no'),
                    order_id bigint NOT NULL REFERENCES shop.orders (id),
                    amount shop.money_amount NOT NULL,
                    digest bytea NOT NULL)""");
        s.add("ALTER SEQUENCE shop.invoice_no OWNED BY shop.invoices.no");
        s.add("""
                INSERT INTO shop.invoices (order_id, amount, digest)
                SELECT id, total, DIGEST FROM shop.orders WHERE status IN ('paid', 'shipped') ORDER BY id""".replace("DIGEST", pgcrypto ? "digest(id::text, 'sha256')" : "sha256(id::text::bytea)"));

        // Indexes of every kind: B-tree, partial, expression, unique, GIN, GiST, hash, BRIN.
        s.add("CREATE INDEX orders_placed_at ON shop.orders (placed_at)");
        s.add("CREATE INDEX orders_new_by_customer ON shop.orders (customer_id) WHERE status = 'new'");
        s.add("CREATE INDEX customers_lower_name ON shop.customers (lower(name))");
        s.add("CREATE UNIQUE INDEX products_lower_sku ON shop.products (lower(sku))");
        s.add("CREATE INDEX products_specs ON shop.products USING gin (specs jsonb_path_ops)");
        s.add("CREATE INDEX customers_tags ON shop.customers USING gin (tags)");
        s.add("CREATE INDEX products_available ON shop.products USING gist (available)");
        s.add("CREATE INDEX sessions_customer ON shop.sessions USING hash (customer_id)");
        s.add("CREATE INDEX events_happened_brin ON shop.events_later USING brin (happened_at)");
        s.add("CREATE INDEX raw_imports_line ON public.raw_imports (line)");
        if (trgm) {
            s.add("CREATE INDEX products_title_trgm ON shop.products USING gist (title gist_trgm_ops)");
            s.add("CREATE INDEX customers_name_trgm ON shop.customers USING gin (name gin_trgm_ops)");
        }
        if (hstore) {
            s.add("CREATE INDEX customers_attrs ON shop.customers USING gin (attrs)");
        }

        // Views and materialized views.
        s.add("""
                CREATE VIEW shop.order_summary AS
                SELECT o.id, shop.customer_label(c) AS customer, o.status, shop.order_total(o.id) AS total
                FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id""");
        s.add("""
                CREATE MATERIALIZED VIEW shop.daily_sales AS
                SELECT (placed_at AT TIME ZONE 'UTC')::date AS day, count(*) AS orders, sum(total) AS revenue
                FROM shop.orders GROUP BY 1 WITH DATA""");
        s.add("CREATE UNIQUE INDEX daily_sales_day ON shop.daily_sales (day)");
        s.add("""
                CREATE MATERIALIZED VIEW shop.pending_report AS
                SELECT id, placed_at FROM shop.orders WHERE status = 'new' WITH NO DATA""");

        s.add("COMMENT ON TABLE shop.orders IS 'One row per order; status changes are audited'");
        s.add("COMMENT ON COLUMN shop.products.manual IS 'Stored out of line, uncompressed'");
        s.add("COMMENT ON TABLE shop.sessions IS 'Unlogged'");
        s.add("COMMENT ON MATERIALIZED VIEW shop.pending_report IS 'Never refreshed'");

        s.add("GRANT USAGE ON SCHEMA shop TO alice, bob, plain");
        s.add("GRANT SELECT ON ALL TABLES IN SCHEMA shop TO alice");
        s.add("GRANT SELECT, INSERT ON shop.notes TO alice, bob");
        s.add("GRANT SELECT ON shop.products TO bob, plain");
        s.add("RESET ROLE");
        return s;
    }
}
