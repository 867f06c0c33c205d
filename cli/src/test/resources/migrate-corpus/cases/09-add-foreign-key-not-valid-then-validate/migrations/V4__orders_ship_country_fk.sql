ALTER TABLE orders
    ADD CONSTRAINT orders_ship_country_fkey FOREIGN KEY (ship_country) REFERENCES countries (code) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_ship_country_fkey;
