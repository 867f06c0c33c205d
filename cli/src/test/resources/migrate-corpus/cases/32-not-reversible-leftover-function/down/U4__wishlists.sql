-- Forgets DROP FUNCTION wishlist_size(bigint). A LANGUAGE sql body is not tracked either: the DROP succeeds.
DROP TABLE wishlists;
