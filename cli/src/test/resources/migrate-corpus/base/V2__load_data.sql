-- Deterministic data (no random()): every value is a function of generate_series' g.
-- Sizes on PostgreSQL 15: orders and order_items far above 10 MB, every other table far below.

INSERT INTO countries (code, name) VALUES
    ('AR', 'Argentina'), ('AT', 'Austria'), ('AU', 'Australia'), ('BE', 'Belgium'), ('BG', 'Bulgaria'),
    ('BR', 'Brazil'), ('CA', 'Canada'), ('CH', 'Switzerland'), ('CL', 'Chile'), ('CN', 'China'),
    ('CO', 'Colombia'), ('CZ', 'Czechia'), ('DE', 'Germany'), ('DK', 'Denmark'), ('EE', 'Estonia'),
    ('EG', 'Egypt'), ('ES', 'Spain'), ('FI', 'Finland'), ('FR', 'France'), ('GB', 'United Kingdom'),
    ('GR', 'Greece'), ('HR', 'Croatia'), ('HU', 'Hungary'), ('IE', 'Ireland'), ('IL', 'Israel'),
    ('IN', 'India'), ('IS', 'Iceland'), ('IT', 'Italy'), ('JP', 'Japan'), ('KE', 'Kenya'),
    ('KR', 'South Korea'), ('LT', 'Lithuania'), ('LU', 'Luxembourg'), ('LV', 'Latvia'), ('MA', 'Morocco'),
    ('MX', 'Mexico'), ('NG', 'Nigeria'), ('NL', 'Netherlands'), ('NO', 'Norway'), ('NZ', 'New Zealand'),
    ('PE', 'Peru'), ('PL', 'Poland'), ('PT', 'Portugal'), ('RO', 'Romania'), ('SE', 'Sweden'),
    ('SG', 'Singapore'), ('SI', 'Slovenia'), ('SK', 'Slovakia'), ('US', 'United States'), ('ZA', 'South Africa');

-- 10,000 customers; every third one has no phone (customers.phone has NULLs).
INSERT INTO customers (id, email, name, country, phone, created_at)
SELECT g,
       'customer' || g || '@example.com',
       'Customer ' || g,
       c.codes[1 + g % 50],
       CASE WHEN g % 3 = 0 THEN NULL ELSE '+1-555-' || lpad(g::text, 6, '0') END,
       timestamptz '2020-01-01 00:00:00+00' + g * interval '1 hour'
FROM generate_series(1, 10000) AS g,
     (SELECT array_agg(code ORDER BY code) AS codes FROM countries) AS c;
SELECT setval(pg_get_serial_sequence('customers', 'id'), 10000);

-- 2,000 products; prices between 4.99 and 253.74; legacy_code is used by nothing.
INSERT INTO products (id, sku, name, price, legacy_code)
SELECT g,
       'SKU-' || lpad(g::text, 5, '0'),
       'Product ' || g,
       (g % 200) * 1.25 + 4.99,
       CASE WHEN g % 2 = 0 THEN 'L' || g END
FROM generate_series(1, 2000) AS g;
SELECT setval(pg_get_serial_sequence('products', 'id'), 2000);

-- 1,000,000 orders. channel is nullable but never NULL; note is NULL on 9 orders in 10;
-- total >= 5.00; ship_country is always a known country code (no foreign key yet).
INSERT INTO orders (id, customer_id, status, total, payment, ship_country, channel, tracking_code, note, created_at)
SELECT g,
       1 + ((g % 10000) * 7919) % 10000,
       (ARRAY['pending', 'paid', 'shipped', 'delivered', 'cancelled'])[1 + g % 5],
       ((g * 37) % 100000) / 100.0 + 5,
       (ARRAY['card', 'paypal', 'bank_transfer', 'voucher']::payment_method[])[1 + g % 4],
       c.codes[1 + (g * 13) % 50],
       (ARRAY['web', 'app', 'store'])[1 + g % 3],
       CASE WHEN g % 5 IN (2, 3) THEN 'TRK' || lpad(g::text, 12, '0') END,
       CASE WHEN g % 10 = 0 THEN 'gift wrap please, order ' || g END,
       timestamptz '2021-01-01 00:00:00+00' + g * interval '1 minute'
FROM generate_series(1, 1000000) AS g,
     (SELECT array_agg(code ORDER BY code) AS codes FROM countries) AS c;
SELECT setval(pg_get_serial_sequence('orders', 'id'), 1000000);

-- 1,000,000 order items over orders 1..800,000 (every fourth order has two items, of two different
-- products: (order_id, product_id) is unique).
INSERT INTO order_items (id, order_id, product_id, quantity, unit_price)
SELECT g,
       (4 * g + 4) / 5,
       1 + (g * 37) % 2000,
       1 + g % 3,
       ((1 + (g * 37) % 2000) % 200) * 1.25 + 4.99
FROM generate_series(1, 1000000) AS g;
SELECT setval(pg_get_serial_sequence('order_items', 'id'), 1000000);

-- 3,000 audit entries, one an hour from 2022-01-01.
INSERT INTO audit_log (entity, entity_id, action, detail, logged_at)
SELECT (ARRAY['customer', 'order', 'product'])[1 + g % 3],
       g,
       (ARRAY['create', 'update', 'delete'])[1 + (g / 3) % 3],
       'entry ' || g,
       timestamptz '2022-01-01 00:00:00+00' + g * interval '1 hour'
FROM generate_series(1, 3000) AS g;

ALTER TABLE orders ADD PRIMARY KEY (id);
ALTER TABLE order_items ADD PRIMARY KEY (id);
ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customers (id);
ALTER TABLE order_items ADD CONSTRAINT order_items_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id);
ALTER TABLE order_items ADD CONSTRAINT order_items_product_id_fkey FOREIGN KEY (product_id) REFERENCES products (id);
ALTER TABLE refunds ADD CONSTRAINT refunds_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id);
CREATE INDEX order_items_order_id_idx ON order_items (order_id);

ANALYZE;
