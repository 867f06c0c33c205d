package dev.sprout.protocol.client;

import dev.sprout.protocol.v1.Code;

/**
 * A newer read-write session took the timeline over ({@link Code#FENCED}): this session may not write again.
 * Once a session has seen this, every later call on it fails with it without reaching the server; reconnecting
 * does not revive it. Attach again with a new generation (taking the timeline back) to write.
 */
public final class FencedException extends RefusedException {
    private static final long serialVersionUID = 1L;

    FencedException(String message) {
        super(Code.FENCED, message);
    }
}
