package dev.sprout.diff.schema;

import java.util.List;

/** One difference between two snapshots: an object only on the TO side, only on the FROM side, or on both but unlike. */
public sealed interface Change {
    /** The object as it is on the side that has it (TO for a change). */
    DbObject object();

    default Kind kind() {
        return object().kind();
    }

    default String name() {
        return object().name();
    }

    /** On TO only. */
    record Added(DbObject object) implements Change {}

    /** On FROM only. */
    record Removed(DbObject object) implements Change {}

    /** On both; {@code properties} names those that differ, in the order the object lists them. */
    record Changed(DbObject before, DbObject after, List<String> properties) implements Change {
        public Changed {
            properties = List.copyOf(properties);
        }

        @Override
        public DbObject object() {
            return after;
        }
    }
}
