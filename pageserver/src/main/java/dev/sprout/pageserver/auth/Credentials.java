package dev.sprout.pageserver.auth;

import dev.sprout.http.Secret;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What a pageserver asks its clients for, kept in {@code DATA/secrets/} (mode 0700; each file 0600) and made on
 * its first start: the page-service secret every compute's Attach carries, and the admin token every request to
 * the HTTP APIs carries as {@code Authorization: Bearer}. Both are needed even on loopback, which every user of
 * the machine can reach; neither is ever logged.
 *
 * <p>A compute started by Sprout is not given the page-service secret itself but a credential derived from it for
 * its own timeline ({@link #forTimeline}): the page service opens sessions on that timeline only with it.
 *
 * @param pageService the page-service secret ({@value #PAGE_SERVICE_FILE})
 * @param admin       the HTTP APIs' admin token ({@value #ADMIN_TOKEN_FILE})
 */
public record Credentials(Secret pageService, Secret admin) {
    /** The directory of the data directory that holds the credentials. */
    public static final String DIRECTORY = "secrets";

    public static final String PAGE_SERVICE_FILE = "page-service.secret";
    public static final String ADMIN_TOKEN_FILE = "admin.token";
    private static final String TIMELINE_CONTEXT = "sprout page service, timeline ";

    public Credentials {
        Objects.requireNonNull(pageService, "pageService");
        Objects.requireNonNull(admin, "admin");
    }

    /**
     * The credential a compute of timeline {@code timelineId} carries instead of the page-service secret: it opens
     * sessions on that timeline only, so a compute that is broken into cannot reach another branch's pages.
     */
    public String forTimeline(String timelineId) {
        return pageService.derive(TIMELINE_CONTEXT + timelineId);
    }

    /** Whether {@code given} is {@link #forTimeline}{@code (timelineId)}. Constant time. */
    public boolean isForTimeline(String timelineId, String given) {
        return pageService.matchesDerived(TIMELINE_CONTEXT + timelineId, given);
    }

    /** The credentials of the pageserver whose data directory is {@code dataDirectory}, made if missing. */
    public static Credentials loadOrCreate(Path dataDirectory) {
        Path dir = directory(dataDirectory);
        return new Credentials(
                Secret.loadOrCreate(dir.resolve(PAGE_SERVICE_FILE)),
                Secret.loadOrCreate(dir.resolve(ADMIN_TOKEN_FILE)));
    }

    /** Where the credentials of the pageserver on {@code dataDirectory} are kept. */
    public static Path directory(Path dataDirectory) {
        return dataDirectory.toAbsolutePath().normalize().resolve(DIRECTORY);
    }

    /** The admin token's file of the pageserver on {@code dataDirectory}, for a client to read. */
    public static Path adminTokenFile(Path dataDirectory) {
        return directory(dataDirectory).resolve(ADMIN_TOKEN_FILE);
    }

    /** The page-service secret's file of the pageserver on {@code dataDirectory}, for a compute to read. */
    public static Path pageServiceFile(Path dataDirectory) {
        return directory(dataDirectory).resolve(PAGE_SERVICE_FILE);
    }
}
