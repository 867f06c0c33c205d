package dev.sprout.storage.error;

/** RocksDB refused or failed a read or write (disk full, I/O error). The failed call left nothing visible. */
public final class StorageIoException extends StorageException {
    private static final long serialVersionUID = 1L;

    public StorageIoException(String message, Throwable cause) {
        super(ErrorCode.IO_ERROR, message, cause);
    }
}
