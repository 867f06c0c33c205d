package dev.sprout.bench.compute;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a PostgreSQL log says about one start, read from the lines of PostgreSQL 15's default
 * {@code log_line_prefix} ({@code '%m [%p] '}, millisecond timestamps; the servers run with
 * {@code log_timezone=UTC}): when the postmaster logged "starting PostgreSQL", when it was "ready to accept
 * connections", the redo it did (time and WAL span) and the end-of-recovery checkpoint's total time.
 */
record PgLog(
        Optional<Instant> starting,
        Optional<Instant> ready,
        boolean crashRecovery,
        Optional<Double> redoSeconds,
        Optional<Long> redoBytes,
        Optional<Double> endOfRecoveryCheckpointSeconds) {

    private static final Pattern LINE =
            Pattern.compile("^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}) UTC \\[\\d+\\] \\w+:\\s+(.*)$");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
    private static final Pattern REDO_ELAPSED =
            Pattern.compile("^redo done at ([0-9A-F]+/[0-9A-F]+) .*elapsed: ([0-9.]+) s");
    private static final Pattern REDO_STARTS = Pattern.compile("^redo starts at ([0-9A-F]+/[0-9A-F]+)");
    private static final Pattern CHECKPOINT_TOTAL = Pattern.compile("^checkpoint complete: .*total=([0-9.]+) s");

    /** The last start in {@code log} (a file of one server's output, possibly of several starts). */
    static PgLog read(Path log) {
        List<String> lines;
        try {
            lines = Files.readAllLines(log);
        } catch (IOException e) {
            return new PgLog(
                    Optional.empty(), Optional.empty(), false, Optional.empty(), Optional.empty(), Optional.empty());
        }
        Instant starting = null, ready = null;
        boolean recovery = false;
        Double redo = null, eorCheckpoint = null;
        Long redoStart = null, redoEnd = null;
        boolean inEndOfRecovery = false;
        for (String line : lines) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            Instant at = LocalDateTime.parse(m.group(1), TIME).toInstant(ZoneOffset.UTC);
            String msg = m.group(2);
            if (msg.startsWith("starting PostgreSQL")) {
                starting = at;
                ready = null;
                recovery = false;
                redo = null;
                redoStart = null;
                redoEnd = null;
                eorCheckpoint = null;
                inEndOfRecovery = false;
            } else if (msg.startsWith("database system is ready to accept connections")) {
                ready = at;
            } else if (msg.contains("automatic recovery in progress")
                    || msg.startsWith("database system was interrupted")) {
                recovery = true;
            } else if (msg.startsWith("checkpoint starting: end-of-recovery")) {
                inEndOfRecovery = true;
            } else {
                Matcher r = REDO_ELAPSED.matcher(msg);
                if (r.find()) {
                    redoEnd = lsn(r.group(1));
                    redo = Double.parseDouble(r.group(2));
                }
                Matcher rs = REDO_STARTS.matcher(msg);
                if (rs.find()) {
                    redoStart = lsn(rs.group(1));
                }
                Matcher c = CHECKPOINT_TOTAL.matcher(msg);
                if (inEndOfRecovery && c.find()) {
                    eorCheckpoint = Double.parseDouble(c.group(1));
                    inEndOfRecovery = false;
                }
            }
        }
        Optional<Long> redoBytes =
                redoStart != null && redoEnd != null ? Optional.of(redoEnd - redoStart) : Optional.empty();
        return new PgLog(
                Optional.ofNullable(starting),
                Optional.ofNullable(ready),
                recovery,
                Optional.ofNullable(redo),
                redoBytes,
                Optional.ofNullable(eorCheckpoint));
    }

    /** An LSN as PostgreSQL prints it, {@code hi/lo} in hex. */
    private static long lsn(String text) {
        int slash = text.indexOf('/');
        return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
    }
}
