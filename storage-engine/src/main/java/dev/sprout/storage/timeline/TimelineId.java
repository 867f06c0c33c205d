package dev.sprout.storage.timeline;

import dev.sprout.storage.error.InvalidArgumentException;
import java.util.Objects;
import java.util.UUID;

/** A timeline's identity: a UUID, chosen by whoever creates the timeline so that creation can be retried. */
public record TimelineId(UUID uuid) implements Comparable<TimelineId> {

    public TimelineId {
        Objects.requireNonNull(uuid, "uuid");
    }

    public static TimelineId random() {
        return new TimelineId(UUID.randomUUID());
    }

    /** Parses the canonical 36-character form; a malformed value is refused with the value in the message. */
    public static TimelineId parse(String text) {
        try {
            if (text == null || text.length() != 36) {
                throw new IllegalArgumentException();
            }
            return new TimelineId(UUID.fromString(text));
        } catch (IllegalArgumentException e) {
            throw new InvalidArgumentException(
                    "timeline id \"" + text + "\" is not a UUID (expected 8-4-4-4-12 hex digits)");
        }
    }

    @Override
    public int compareTo(TimelineId other) {
        return uuid.compareTo(other.uuid);
    }

    @Override
    public String toString() {
        return uuid.toString();
    }
}
