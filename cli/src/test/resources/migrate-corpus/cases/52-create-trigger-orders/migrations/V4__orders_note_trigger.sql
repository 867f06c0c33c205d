CREATE FUNCTION orders_trim_note() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.note := nullif(btrim(NEW.note), '');
    RETURN NEW;
END
$$;

CREATE TRIGGER orders_trim_note
    BEFORE INSERT OR UPDATE OF note ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_trim_note();
