package dev.sprout.cli;

import dev.sprout.http.client.ApiClient;
import dev.sprout.protocol.v1.BeginImportRequest;
import dev.sprout.protocol.v1.FinishImportResponse;
import dev.sprout.protocol.v1.ImportTarget;
import dev.sprout.protocol.v1.StartImportResponse;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One import under way in the running Sprout, as its importer sees it ({@code /v1/imports}, docs/api.md): begun,
 * then finished, or else aborted. Anything that ends it before {@link #finish} aborts it (its timeline, and a logical
 * import's compute, are removed): {@link #close} in the importer's own path, a shutdown hook on Ctrl-C or SIGTERM.
 * An importer killed outright leaves an import that the next import or restart of Sprout removes.
 *
 * <p>Thread-safe as far as the hook needs: whoever settles the import first (finish, close or the hook) is the only
 * one that does.
 */
final class ImportSession implements AutoCloseable {
    private final ManagementClient client;
    private final ImportTarget target;
    private final String path;
    private final AtomicBoolean settled = new AtomicBoolean();
    private final Thread abortAtExit;

    private ImportSession(ManagementClient client, ImportTarget target) {
        this.client = client;
        this.target = target;
        this.path = "/v1/imports/" + target.getTimelineId();
        this.abortAtExit = new Thread(
                () -> {
                    if (settled.compareAndSet(false, true)) {
                        System.err.println(
                                "sprout: import stopped; removing its partial timeline " + target.getTimelineId());
                        abort();
                    }
                },
                "sprout-import-abort");
        Runtime.getRuntime().addShutdownHook(abortAtExit);
    }

    /** Begins an import ({@code POST /v1/imports}). */
    static ImportSession begin(ManagementClient client, BeginImportRequest request) {
        ImportTarget target = client.parse(
                        "POST /v1/imports",
                        client.send("POST", "/v1/imports", ApiClient.json(request))
                                .body(),
                        ImportTarget.newBuilder())
                .build();
        return new ImportSession(client, target);
    }

    ImportTarget target() {
        return target;
    }

    /** Starts a logical import's compute ({@code POST /v1/imports/{timeline}/start}). */
    StartImportResponse start() {
        return client.parse(
                        "POST " + path + "/start",
                        client.send("POST", path + "/start", null).body(),
                        StartImportResponse.newBuilder())
                .build();
    }

    /** Finishes the import: the branch gets its name ({@code POST /v1/imports/{timeline}/finish}). */
    FinishImportResponse finish() {
        return finish(null);
    }

    /** As {@link #finish()}, with {@code jsonBody} (a FinishImportRequest as JSON; null: none). */
    FinishImportResponse finish(String jsonBody) {
        FinishImportResponse done = client.parse(
                        "POST " + path + "/finish",
                        client.send("POST", path + "/finish", jsonBody).body(),
                        FinishImportResponse.newBuilder())
                .build();
        settled.set(true);
        return done;
    }

    /** Aborts the import unless it finished. */
    @Override
    public void close() {
        if (settled.compareAndSet(false, true)) {
            abort();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(abortAtExit);
        } catch (IllegalStateException e) {
            // the JVM is exiting: the hook runs (and finds the import settled)
        }
    }

    private void abort() {
        try {
            client.send("DELETE", path, null);
        } catch (RuntimeException e) {
            System.err.println("sprout: could not abort the import (" + e.getMessage()
                    + "); the next import or restart of Sprout removes it");
        }
    }
}
