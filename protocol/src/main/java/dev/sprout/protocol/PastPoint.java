package dev.sprout.protocol;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * A connection's target that names a branch as it was: {@code NAME@TIME} (RFC 3339 with an offset, e.g.
 * {@code main@2026-12-06T10:00:00Z}), {@code NAME@lsn:N} (a Sprout LSN, as {@code sprout branch list} shows them) or
 * {@code NAME@lsn:X/Y} (a PostgreSQL WAL position, as {@code pg_current_wal_lsn()} shows it).
 * Such a target gets a read-only PostgreSQL at that point (see the control plane's {@code wakeAt}). {@link #target}
 * is the canonical spelling (the time in UTC), the same for every spelling of one point.
 */
public sealed interface PastPoint {
    String branch();

    /** A time. */
    record AtTime(String branch, Instant time) implements PastPoint {}

    /** A Sprout LSN. */
    record AtLsn(String branch, long lsn) implements PastPoint {}

    /** A PostgreSQL WAL position: the branch as it was once its WAL was durable through it. */
    record AtWal(String branch, WalLsn wal) implements PastPoint {}

    /** The canonical target: {@code NAME@2026-12-06T10:00:00Z}, {@code NAME@lsn:N} or {@code NAME@lsn:X/Y}. */
    default String target() {
        return switch (this) {
            case AtTime(String b, Instant t) -> b + "@" + t;
            case AtLsn(String b, long lsn) -> b + "@lsn:" + Long.toUnsignedString(lsn);
            case AtWal(String b, WalLsn wal) -> b + "@lsn:" + wal;
        };
    }

    /** Whether {@code target} names a point ({@code NAME@...}) rather than a branch's head. */
    static boolean names(String target) {
        return target.indexOf('@') >= 0;
    }

    /**
     * Parses {@code NAME@POINT}; empty when {@code target} has no {@code @}.
     *
     * @throws IllegalArgumentException with a sentence naming what is wrong: the name ({@link BranchName#RULE}) or
     *     the point (not an RFC 3339 time with an offset, nor {@code lsn:} and digits or a WAL position)
     */
    static Optional<PastPoint> parse(String target) {
        int at = target.indexOf('@');
        if (at < 0) {
            return Optional.empty();
        }
        String branch = target.substring(0, at);
        String point = target.substring(at + 1);
        if (!BranchName.isValid(branch)) {
            throw new IllegalArgumentException("invalid branch name \"" + branch + "\": use " + BranchName.RULE);
        }
        if (point.startsWith("lsn:") && WalLsn.looksLike(point)) {
            return Optional.of(new AtWal(branch, WalLsn.parse(point.substring(4))));
        }
        if (point.startsWith("lsn:")) {
            String digits = point.substring(4);
            if (!digits.isEmpty() && digits.length() <= 19 && digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                long lsn = Long.parseLong(digits);
                if (lsn > 0) {
                    return Optional.of(new AtLsn(branch, lsn));
                }
            }
            throw new IllegalArgumentException(
                    "\"" + point + "\" is not a Sprout LSN (lsn: and a positive number, as sprout branch list shows)"
                            + " nor a PostgreSQL WAL position (lsn:0/16B3748)");
        }
        try {
            OffsetDateTime t = OffsetDateTime.parse(point);
            if (t.getYear() >= 1970 && t.getYear() <= 9999) {
                return Optional.of(new AtTime(branch, t.toInstant()));
            }
        } catch (DateTimeParseException e) {
            // said below
        }
        throw new IllegalArgumentException("\"" + point + "\" is not a point of a branch's history: an RFC 3339 time"
                + " with an offset (2026-12-06T10:00:00Z), lsn:N or lsn:X/Y (a PostgreSQL WAL position)");
    }
}
