package dev.sprout.protocol.client;

/** A file or directory made by Create or Mkdir: its new id, and the LSN the change was written at. */
public record Created(long fileId, long lsn) {}
