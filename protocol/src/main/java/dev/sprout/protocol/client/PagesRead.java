package dev.sprout.protocol.client;

import java.util.List;

/**
 * The answer to one GetPages: the LSN the pages were read at (the session's head when the request asked for
 * 0) and one result per page asked for, in the order asked.
 */
public record PagesRead(long lsn, List<PageResult> pages) {
    public PagesRead {
        pages = List.copyOf(pages);
    }
}
