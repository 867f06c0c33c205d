package dev.sprout.storage.page;

/** One block of one file; what a batched read asks for. */
public record PageRef(long fileId, int block) {}
