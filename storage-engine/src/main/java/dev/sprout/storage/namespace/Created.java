package dev.sprout.storage.namespace;

/** A file or directory that a call created: its new id and the LSN at which it appeared. */
public record Created(long fileId, long lsn) {}
