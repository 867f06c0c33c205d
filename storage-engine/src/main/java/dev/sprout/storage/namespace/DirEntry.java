package dev.sprout.storage.namespace;

/** One name in a directory listing. */
public record DirEntry(String name, long fileId, FileType type) {}
