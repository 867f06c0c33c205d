ALTER TABLE orders
    ADD CONSTRAINT orders_ship_country_fkey FOREIGN KEY (ship_country) REFERENCES countries (code);
