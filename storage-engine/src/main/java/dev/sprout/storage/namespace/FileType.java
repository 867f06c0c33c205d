package dev.sprout.storage.namespace;

/** What a namespace entry is. Sprout stores what PostgreSQL creates: directories and regular files. */
public enum FileType {
    DIRECTORY,
    REGULAR
}
