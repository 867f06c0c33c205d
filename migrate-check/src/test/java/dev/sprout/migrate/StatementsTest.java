package dev.sprout.migrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Statements}: where a script splits (and where a semicolon does not split it), the line each statement
 * starts on, and how statements are classified.
 */
class StatementsTest {
    private static List<String> sql(String script) {
        return Statements.split(script).stream().map(Statements.Statement::sql).toList();
    }

    @Test
    void splitsOnSemicolonsOutsideQuotesCommentsAndBodies() {
        assertEquals(List.of("SELECT 1", "SELECT 2"), sql("SELECT 1; SELECT 2;"));
        assertEquals(List.of("SELECT 'a;b'", "SELECT 'it''s;'"), sql("SELECT 'a;b'; SELECT 'it''s;'"));
        assertEquals(List.of("SELECT E'\\';'", "SELECT 1"), sql("SELECT E'\\';'; SELECT 1"));
        assertEquals(List.of("SELECT \"a;b\" FROM t"), sql("SELECT \"a;b\" FROM t;"));
        assertEquals(List.of("SELECT 1 -- no; split\n+ 1"), sql("SELECT 1 -- no; split\n+ 1;"));
        assertEquals(List.of("SELECT /* a /* nested; */ still; */ 1"), sql("SELECT /* a /* nested; */ still; */ 1;"));
        String fn = "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN 1; END $body$";
        assertEquals(List.of(fn, "SELECT f()"), sql(fn + ";\nSELECT f();"));
        String anon = "DO $$ BEGIN PERFORM 1; END $$";
        assertEquals(List.of(anon), sql(anon + ";"));
        assertEquals(List.of("SELECT $1::int", "SELECT 2"), sql("SELECT $1::int; SELECT 2"));
        String atomic = "CREATE FUNCTION g(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN a > 0 THEN 1"
                + " ELSE 0 END; SELECT 2; END";
        assertEquals(List.of(atomic, "SELECT g(1)"), sql(atomic + "; SELECT g(1);"));
    }

    @Test
    void dropsEmptyStatementsAndKeepsTextAfterTheLastSemicolon() {
        assertEquals(List.of("SELECT 1", "SELECT 2"), sql(";;\n-- only a comment;\nSELECT 1;;\n  SELECT 2  "));
        assertEquals(List.of(), sql("  \n-- nothing\n/* at all */ ; "));
    }

    @Test
    void eachStatementKnowsItsLineAndTheLineOfAPosition() {
        List<Statements.Statement> s =
                Statements.split("-- header\n\nCREATE TABLE t (\n  a int,\n  b nope\n);\n" + "SELECT 1;");
        assertEquals(3, s.get(0).line());
        assertEquals(7, s.get(1).line());
        int pos = s.get(0).sql().indexOf("nope") + 1; // PostgreSQL's positions are 1-based
        assertEquals(5, s.get(0).lineAt(pos));
    }

    @Test
    void classifiesStatements() {
        Statements.Statement cic = Statements.split("create  /* x */ unique index\nconcurrently i on t (a)")
                .getFirst();
        assertTrue(cic.outsideTransaction());
        assertTrue(cic.concurrentIndex());
        Statements.Statement plain = Statements.split("CREATE INDEX i ON t (a)").getFirst();
        assertFalse(plain.outsideTransaction());
        assertFalse(plain.concurrentIndex());
        assertTrue(Statements.split("VACUUM FULL t").getFirst().outsideTransaction());
        assertTrue(Statements.split("DROP INDEX CONCURRENTLY i").getFirst().outsideTransaction());
        assertTrue(Statements.split("REINDEX TABLE CONCURRENTLY t").getFirst().outsideTransaction());
        assertFalse(Statements.split("REINDEX TABLE t").getFirst().outsideTransaction());
        assertTrue(Statements.split("update t set a = 1").getFirst().dml());
        assertTrue(Statements.split("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x")
                .getFirst()
                .dml());
        assertFalse(
                Statements.split("ALTER TABLE t ADD COLUMN b int").getFirst().dml());
        assertTrue(Statements.split("BEGIN").getFirst().transactionControl());
        assertTrue(Statements.split("commit").getFirst().transactionControl());
        assertFalse(Statements.split("BEGIN ATOMIC").getFirst().words().isEmpty());
        assertEquals(
                "SELECT 'a  b' FROM T",
                Statements.split("select   'a  b'\n -- c\n from t").getFirst().words());
    }
}
