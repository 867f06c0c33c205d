package dev.sprout.control;

import dev.sprout.compute.Compute;
import dev.sprout.compute.ComputeSpec;
import dev.sprout.compute.load.LoadException;
import dev.sprout.compute.load.SourceServer;
import dev.sprout.compute.load.SourceUrl;
import dev.sprout.control.branch.Branch;
import dev.sprout.control.branch.BranchCatalog;
import dev.sprout.control.branch.Expiry;
import dev.sprout.control.endpoint.ComputeManager;
import dev.sprout.control.endpoint.ComputeTemplate;
import dev.sprout.control.endpoint.Endpoint;
import dev.sprout.control.follow.Follow;
import dev.sprout.control.follow.FollowCatalog;
import dev.sprout.control.imports.ImportCatalog;
import dev.sprout.control.imports.PendingImport;
import dev.sprout.protocol.BranchName;
import dev.sprout.protocol.PastPoint;
import dev.sprout.protocol.WalLsn;
import dev.sprout.protocol.v1.Code;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.error.ErrorCode;
import dev.sprout.storage.error.StorageException;
import dev.sprout.storage.error.UnknownTimelineException;
import dev.sprout.storage.timeline.BranchPoint;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.storage.timeline.TimelineInfo;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Branches by name over the store's timelines, and their computes. In the all-in-one mode it runs in the
 * pageserver's process and reaches the store directly; the branches are durable in the store's catalog and survive
 * restarts (computes do not: they start again on the next connection).
 *
 * <p>Every operation either completes or changes nothing a client can see: a timeline is created before the
 * catalog names it (a crash in between leaves an unnamed timeline, never a name without a timeline), and the
 * catalog changes of one operation are one atomic write.
 *
 * <p>Concurrency: thread-safe. Changes to branches are serialized; {@link #wake} reads the catalog without that
 * lock and serializes per branch in the {@link ComputeManager}.
 */
public final class ControlPlane implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);
    private static final DateTimeFormatter BACKUP_STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final PageStore store;
    private final WalPoints walPoints;
    private final BranchCatalog branches;
    /** The roles of branches read since they last changed, for {@link #admitsNow} (the proxy's event loop). */
    private final ConcurrentHashMap<String, List<String>> rolesSeen = new ConcurrentHashMap<>();

    private final ComputeManager computes;
    private final ComputeTemplate template;
    private final ImportCatalog imports;
    private final FollowCatalog follows;
    private final Clock clock;
    private final ReentrantLock changes = new ReentrantLock();
    /** Whether a read-write page session is attached to a timeline now (an importer at work). */
    private final Predicate<TimelineId> writerAttached;
    /** The owner of PostgreSQL's files, for new root timelines. */
    private final int uid;

    private final int gid;
    /** The read-only computes of past points running now ({@link #wakeAt}): {@code NAME@lsn:N} to its timeline. */
    private final ConcurrentHashMap<String, TimelineId> points = new ConcurrentHashMap<>();

    /** When each past point was last asked for: the sweep leaves one alone for {@link #POINT_GRACE} after that. */
    private final ConcurrentHashMap<String, Instant> pointsAsked = new ConcurrentHashMap<>();

    /** Expired branches kept for a child that does not expire, already warned of (once each). */
    private final java.util.Set<String> expiryHeld = ConcurrentHashMap.newKeySet();

    /** Imports found unfinished at open and removed, one sentence each, until the next import is told of them. */
    private final List<String> abandonedAtOpen = new ArrayList<>();

    /** A branch with what is known of it now. */
    public record BranchView(Branch branch, TimelineInfo timeline, Endpoint endpoint, Optional<FollowView> follow) {}

    /** A follower as seen now: its source, and how its streaming goes ({@link #followState}). */
    public record FollowView(String source, String state) {}

    /** A follower that no longer follows, and why its slot is still on the source when it could not be dropped. */
    public record Unfollowed(BranchView branch, Optional<String> warning) {}

    /**
     * What a delete removed, deepest first, what it could not clean up (a follower's slot), said as sentences, and
     * how many client connections were open on the computes it stopped (they were ended).
     */
    public record Deleted(List<String> names, List<String> warnings, int connectionsEnded) {}

    /** The result of a reset: the branch as it is now, and how many client connections its old compute ended. */
    public record Reset(BranchView branch, int connectionsEnded) {}

    /**
     * A new branch's lifecycle as asked: at most one of a TTL, a lease and a fixed expiry time, and whether it is
     * protected (then none of them).
     */
    public record Lifecycle(
            Optional<Duration> ttl, Optional<Duration> lease, Optional<Instant> expiresAt, boolean protect) {
        public static final Lifecycle NONE = new Lifecycle(Optional.empty(), Optional.empty(), Optional.empty(), false);

        /** The expiry this asks for, counted from {@code now}; refuses what makes no sense, saying why. */
        Expiry expiry(Instant now) {
            int given = (ttl.isPresent() ? 1 : 0) + (lease.isPresent() ? 1 : 0) + (expiresAt.isPresent() ? 1 : 0);
            if (given > 1) {
                throw new ControlException(
                        Code.INVALID_ARGUMENT, "give one of a TTL, a lease and an expiry time, not " + given);
            }
            if (protect && given > 0) {
                throw new ControlException(
                        Code.INVALID_ARGUMENT,
                        "a protected branch cannot expire: give --protect or a TTL, a lease or an expiry time");
            }
            ttl.ifPresent(ControlPlane::requireLifetime);
            lease.ifPresent(ControlPlane::requireLifetime);
            if (expiresAt.isPresent() && !expiresAt.get().isAfter(now)) {
                throw new ControlException(
                        Code.INVALID_ARGUMENT,
                        "expiry time " + expiresAt.get() + " is not in the future (it is " + now + " now)");
            }
            if (ttl.isPresent()) {
                return new Expiry.Ttl(ttl.get(), now.plus(ttl.get()));
            }
            if (lease.isPresent()) {
                return new Expiry.Lease(lease.get(), now.plus(lease.get()));
            }
            return expiresAt.<Expiry>map(Expiry.At::new).orElse(new Expiry.Never());
        }
    }

    /** The follow part of an import's finish: how the follower reaches its source (see FollowRequest). */
    public record FollowSource(String conninfo, String role, String password, String heldSlot) {}

    /** The result of a create: the branch, and whether this request made it (false: it existed as asked). */
    public record Created(BranchView branch, boolean created) {}

    /**
     * The result of a restore: the branch as it is now, the name under which its old state is kept, and how many
     * client connections its old compute ended.
     */
    public record Restored(BranchView branch, String backup, int connectionsEnded) {}

    /** An import begun: its record, how the importer reaches the page service, and earlier imports removed. */
    public record ImportStarted(PendingImport pending, ComputeSpec access, List<String> abandoned) {}

    /**
     * An import finished: the branch it became, the backup of the name's previous state, the first start's time (a
     * physical import's; zero for a logical one) and the stop of its compute (a logical import's; else zero).
     */
    public record ImportFinished(BranchView branch, Optional<String> backup, Duration firstStart, Duration stop) {}

    /** A logical import's compute, running: where it listens, the role to connect as, how long it took to start. */
    public record ImportCompute(InetSocketAddress address, String superuser, Duration took) {}

    /**
     * What a logical import's compute runs with for the restore, its only work: {@code wal_level = minimal}, so that
     * pg_restore's COPY into a table it created (in one transaction with a TRUNCATE) and its index builds write their
     * pages without WAL (the files are synced at commit instead), about half the bytes that reach the store; no WAL
     * senders (minimal needs none); no autovacuum competing with the restore for the machine. The branch's compute
     * runs with the usual settings from its first start on (PostgreSQL logs the change of wal_level).
     */
    static final Map<String, String> LOGICAL_IMPORT_SETTINGS =
            Map.of("wal_level", "minimal", "max_wal_senders", "0", "autovacuum", "off");

    /**
     * Catalog records of the timelines made for past points' computes ({@code point/TIMELINE}, the point's key):
     * they live only while their compute runs, and one found at open (the process stopped) is removed.
     */
    static final String POINT_PREFIX = "point/";

    /**
     * How long after a connection asked for a past point its compute counts as starting, not idle: the sweep runs
     * while {@link #wakeAt} starts it (outside the lock of changes) and must not remove it under the connection.
     */
    static final Duration POINT_GRACE = Duration.ofMinutes(2);

    /** Catalog records of timelines made by a reset or restore and not yet named by its branch ({@link #pending}). */
    static final String PENDING_PREFIX = "pending/";

    /** What a past point's compute runs with: every transaction read-only unless a session asks otherwise. */
    static final Map<String, String> POINT_SETTINGS = Map.of("default_transaction_read_only", "on");

    /** How long a new import may go without a writer attached before another import counts it as abandoned. */
    static final Duration IMPORT_GRACE = Duration.ofSeconds(30);

    private ControlPlane(
            PageStore store,
            ComputeTemplate template,
            Clock clock,
            Predicate<TimelineId> writerAttached,
            int uid,
            int gid) {
        this.store = store;
        this.walPoints = new WalPoints(store);
        this.branches = new BranchCatalog(store.catalog());
        this.imports = new ImportCatalog(store.catalog());
        this.follows =
                new FollowCatalog(store.catalog(), store.options().directory().resolve("secrets"));
        // a follower's compute is a hot standby of its source
        this.computes =
                new ComputeManager((name, timeline) -> followerSpec(template.spec(name, timeline), timeline), clock);
        this.template = template;
        this.clock = clock;
        this.writerAttached = writerAttached;
        this.uid = uid;
        this.gid = gid;
    }

    /**
     * Opens the control plane on {@code store}, making sure the root branch {@code main} exists on the root
     * timeline {@code mainTimeline} (created for {@code uid}/{@code gid}, the owner PostgreSQL's files get).
     */
    public static ControlPlane open(
            PageStore store, ComputeTemplate template, Clock clock, TimelineId mainTimeline, int uid, int gid) {
        return open(store, template, clock, mainTimeline, uid, gid, t -> false);
    }

    /**
     * As {@link #open(PageStore, ComputeTemplate, Clock, TimelineId, int, int)}; {@code writerAttached} tells whether
     * a read-write page session is attached to a timeline (the page service knows), so that an import whose importer
     * went away is found abandoned. Imports unfinished at open are removed: their importer's session died with the
     * pageserver it wrote to.
     */
    public static ControlPlane open(
            PageStore store,
            ComputeTemplate template,
            Clock clock,
            TimelineId mainTimeline,
            int uid,
            int gid,
            Predicate<TimelineId> writerAttached) {
        ControlPlane cp = new ControlPlane(store, template, clock, writerAttached, uid, gid);
        for (PendingImport p : cp.imports.all()) {
            String sentence = cp.removeImport(p, "did not finish before Sprout stopped");
            LOG.warn(sentence);
            cp.abandonedAtOpen.add(sentence);
        }
        cp.removeTimelinesLeft(
                POINT_PREFIX,
                (id, point) -> LOG.info("removed the timeline of past point {} left by the previous run", point));
        cp.removeTimelinesLeft(
                PENDING_PREFIX,
                (id, what) -> LOG.warn("removed timeline {}, made for a {} that did not finish", id, what));
        if (cp.branches.find(BranchName.MAIN).isEmpty()) {
            TimelineInfo root = store.createRoot(mainTimeline, uid, gid);
            cp.branches.put(new Branch(
                            BranchName.MAIN,
                            root.id(),
                            Optional.empty(),
                            new BranchPoint.Head(),
                            root.branchLsn(),
                            root.createdAt(),
                            clock.instant())
                    .withProtect(true));
        }
        return cp;
    }

    // ---- reads ---------------------------------------------------------------------------------------------------

    public BranchView get(String name) {
        return view(require(name));
    }

    /** Every branch, parents before their children, siblings by name. */
    public List<BranchView> list() {
        List<Branch> all = new ArrayList<>(branches.all());
        all.sort(Comparator.comparing(Branch::name));
        List<BranchView> out = new ArrayList<>();
        Deque<Branch> todo = new ArrayDeque<>();
        all.stream()
                .filter(b -> b.parent().isEmpty()
                        || all.stream()
                                .noneMatch(p -> p.name().equals(b.parent().get())))
                .forEach(todo::addLast);
        while (!todo.isEmpty()) {
            Branch b = todo.pollFirst();
            out.add(view(b));
            List<Branch> kids = all.stream()
                    .filter(c -> c.parent().equals(Optional.of(b.name())))
                    .toList();
            for (int i = kids.size() - 1; i >= 0; i--) {
                todo.addFirst(kids.get(i));
            }
        }
        return out;
    }

    // ---- changes -------------------------------------------------------------------------------------------------

    /**
     * Creates branch {@code name} from {@code parent} at {@code at}. Repeating a request that succeeded returns the
     * branch it made ({@link Created#created()} false); a different request for an existing name is refused.
     */
    public Created create(String name, String parent, BranchPoint at) {
        return create(name, parent, at, Lifecycle.NONE);
    }

    /**
     * As {@link #create(String, String, BranchPoint)}, with a lifecycle: when the control plane deletes the branch by
     * itself ({@link #expire}), or that it is protected. A repeated request answers the branch as it is.
     */
    public Created create(String name, String parent, BranchPoint at, Lifecycle lifecycle) {
        requireName(name);
        requireName(parent);
        Expiry expiry = lifecycle.expiry(clock.instant());
        changes.lock();
        try {
            Optional<Branch> existing = branches.find(name);
            if (existing.isPresent()) {
                Branch e = existing.get();
                if (e.parent().equals(Optional.of(parent)) && e.requested().equals(at)) {
                    return new Created(view(e), false);
                }
                throw new ControlException(
                        Code.BRANCH_EXISTS,
                        "branch \"" + name + "\" already exists (from "
                                + e.parent().orElse("nothing") + " at " + e.requested() + ", LSN " + e.branchLsn()
                                + ")");
            }
            Branch from = require(parent);
            long lsn = branchLsn(from, at);
            TimelineId id = TimelineId.random();
            Optional<Instant> branchTime = store.timeOf(lsn);
            Branch[] created = new Branch[1];
            // The timeline and the record naming it in one synced write: one fsync, and never an unnamed timeline.
            storage(() -> store.branch(id, from.timeline(), lsn, timeline -> {
                created[0] = new Branch(
                        name,
                        id,
                        Optional.of(parent),
                        at,
                        timeline.branchLsn(),
                        branchTime.orElse(timeline.createdAt()),
                        clock.instant(),
                        List.of(),
                        expiry,
                        lifecycle.protect());
                return BranchCatalog.changes(List.of(created[0]), List.of());
            }));
            LOG.info("branch {} created from {} at {} (LSN {}){}", name, parent, at, lsn, describe(created[0]));
            return new Created(view(created[0]), true);
        } finally {
            changes.unlock();
        }
    }

    /**
     * Deletes branch {@code name} and its timeline; with {@code subtree}, its descendants first. {@code main} is
     * never deleted (other roots, an import or the backup of a replaced main, are). Returns the names deleted, deepest first.
     */
    public Deleted delete(String name, boolean subtree) {
        return delete(name, subtree, false);
    }

    /**
     * As {@link #delete(String, boolean)}; a protected branch (in the subtree too) is deleted only with {@code force}.
     * The computes of the deleted branches stop at once: their open client connections end, and are counted.
     */
    public Deleted delete(String name, boolean subtree, boolean force) {
        changes.lock();
        try {
            Branch b = require(name);
            if (b.name().equals(BranchName.MAIN)) {
                throw new ControlException(Code.INVALID_ARGUMENT, "branch \"main\" is the root and is never deleted");
            }
            List<Branch> doomed = new ArrayList<>();
            collect(b, doomed);
            if (doomed.stream().anyMatch(d -> d.name().equals(BranchName.MAIN))) {
                throw new ControlException(
                        Code.INVALID_ARGUMENT,
                        "branch \"" + name + "\" holds the state main was restored from: main descends from it,"
                                + " and main is never deleted");
            }
            if (doomed.size() > 1 && !subtree) {
                throw new ControlException(
                        Code.BRANCH_HAS_CHILDREN,
                        "branch \"" + name + "\" has " + (doomed.size() - 1)
                                + " descendant branch(es) ("
                                + String.join(
                                        ", ",
                                        doomed.subList(0, doomed.size() - 1).stream()
                                                .map(Branch::name)
                                                .toList())
                                + "): delete them first, or delete the whole subtree");
            }
            if (!force) {
                for (Branch d : doomed) {
                    requireUnprotected(d, "deleted");
                }
            }
            return deleteLocked(doomed);
        } finally {
            changes.unlock();
        }
    }

    /** Deletes {@code doomed}, deepest first, under the lock of changes. */
    private Deleted deleteLocked(List<Branch> doomed) {
        List<String> deleted = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        int connections = 0;
        for (Branch d : doomed) { // deepest first: collect() adds children before their parent
            long started = System.nanoTime();
            connections += openConnections(d.name());
            dropPoints(d.name());
            computes.discard(d.name(), d.timeline());
            long discarded = System.nanoTime();
            follows.find(d.timeline()).ifPresent(f -> endFollow(f).ifPresent(warnings::add));
            branches.write(List.of(), List.of(d.name()));
            rolesSeen.remove(d.name());
            storage(() -> {
                store.deleteTimeline(d.timeline());
                return null;
            });
            deleted.add(d.name());
            LOG.info(
                    "branch {} deleted in {} ms (its compute stopped in {} ms)",
                    d.name(),
                    (System.nanoTime() - started) / 1_000_000,
                    (discarded - started) / 1_000_000);
        }
        return new Deleted(deleted, warnings, connections);
    }

    /**
     * Resets branch {@code name} to its parent's head: a new timeline from the parent as it is now (checkpointed
     * first if its compute runs) under the same name, so connection strings keep working; the old state is
     * dropped. Refused for a branch with children (they would lose their parent's history).
     */
    public BranchView reset(String name) {
        return reset(name, false).branch();
    }

    /**
     * As {@link #reset(String)}; a protected branch is reset only with {@code force}. A TTL or a lease is renewed
     * (the branch keeps its lifecycle); client connections open on its compute end, and are counted.
     */
    public Reset reset(String name, boolean force) {
        changes.lock();
        try {
            Branch b = require(name);
            String parentName = b.parent()
                    .orElseThrow(() -> new ControlException(
                            Code.INVALID_ARGUMENT,
                            "branch \"" + name + "\" is the root: it has no parent to reset to"));
            if (!force) {
                requireUnprotected(b, "reset");
            }
            requireNoChildren(b, "reset");
            Branch parent = require(parentName);
            long lsn = branchLsn(parent, new BranchPoint.Head());
            TimelineId id = TimelineId.random();
            TimelineInfo timeline =
                    storage(() -> store.branch(id, parent.timeline(), lsn, pending(id, "reset of " + name)));
            int connections = openConnections(name);
            boolean wasRunning = computes.stop(name);
            dropPoints(name); // they read through the timeline the reset deletes
            Branch reset = b.withTimeline(
                            id,
                            b.parent(),
                            timeline.branchLsn(),
                            store.timeOf(lsn).orElse(timeline.createdAt()))
                    .withExpiry(b.expiry().renewedAt(clock.instant()));
            store.catalog().write(named(List.of(reset), id));
            storage(() -> {
                store.deleteTimeline(b.timeline());
                return null;
            });
            if (wasRunning) {
                computes.wake(name, id, false);
            }
            LOG.info(
                    "branch {} reset to {} at LSN {} ({} client connection(s) ended){}",
                    name,
                    parentName,
                    lsn,
                    connections,
                    describe(reset));
            return new Reset(view(reset), connections);
        } finally {
            changes.unlock();
        }
    }

    /**
     * Restores branch {@code name} to its state at {@code time}: the branch continues from that point under the
     * same name, and its state before the restore is kept as branch {@code NAME-backup-yyyyMMdd-HHmmss} (which
     * also keeps the branch's children).
     */
    public Restored restore(String name, Instant time) {
        return restore(name, time, false);
    }

    /**
     * As {@link #restore(String, Instant)}, for every branch, a root ({@code main}) too: the backup then becomes the
     * root and the branch its child. A protected branch is restored only with {@code force}; the branch keeps its
     * lifecycle (a TTL or a lease is renewed), the backup neither expires nor is protected. Client connections open
     * on its compute end, and are counted.
     */
    public Restored restore(String name, Instant time, boolean force) {
        changes.lock();
        try {
            Branch b = require(name);
            if (!force) {
                requireUnprotected(b, "restored");
            }
            long lsn = storage(() -> store.lsnAt(b.timeline(), time));
            String backup = backupName(name);
            TimelineId id = TimelineId.random();
            TimelineInfo timeline =
                    storage(() -> store.branch(id, b.timeline(), lsn, pending(id, "restore of " + name)));
            int connections = openConnections(name);
            boolean wasRunning = computes.stop(name);
            dropPoints(name); // NAME@POINT now means the restored history
            List<Branch> put = new ArrayList<>();
            put.add(b.renamed(backup));
            for (Branch child : branches.children(name)) {
                put.add(child.withParent(Optional.of(backup)));
            }
            Branch restored = b.withTimeline(
                            id,
                            Optional.of(backup),
                            timeline.branchLsn(),
                            store.timeOf(lsn).orElse(time))
                    .withExpiry(b.expiry().renewedAt(clock.instant()));
            put.add(restored);
            store.catalog().write(named(put, id));
            put.forEach(p -> rolesSeen.remove(p.name()));
            if (wasRunning) {
                computes.wake(name, id, false);
            }
            LOG.info(
                    "branch {} restored to {} (LSN {}); its previous state is branch {} ({} client connection(s)"
                            + " ended)",
                    name,
                    time,
                    lsn,
                    backup,
                    connections);
            return new Restored(view(restored), backup, connections);
        } finally {
            changes.unlock();
        }
    }

    private String backupName(String name) {
        String suffix = "-backup-" + BACKUP_STAMP.format(clock.instant());
        String base = name.length() + suffix.length() > BranchName.MAX_LENGTH
                ? name.substring(0, BranchName.MAX_LENGTH - suffix.length())
                : name;
        String candidate = base + suffix;
        for (int i = 2; branches.find(candidate).isPresent(); i++) {
            candidate = base.substring(0, Math.max(1, base.length() - 3)) + suffix + "-" + i;
        }
        return candidate;
    }

    /**
     * Renews branch {@code name}: with {@code ttl}, it expires that long from now (a lease stays a lease of that
     * length; any other branch gets that TTL); without, its own TTL or lease counts again from now. Refused for a
     * protected branch (it never expires) and, without {@code ttl}, for one that has no TTL or lease.
     */
    public BranchView renew(String name, Optional<Duration> ttl) {
        ttl.ifPresent(ControlPlane::requireLifetime);
        changes.lock();
        try {
            Branch b = require(name);
            if (b.protect()) {
                throw new ControlException(
                        Code.BRANCH_PROTECTED,
                        "branch \"" + name + "\" is protected and never expires; unprotect it first (sprout branch"
                                + " protect " + name + " --off)");
            }
            Instant now = clock.instant();
            Expiry renewed = ttl.<Expiry>map(d -> b.expiry() instanceof Expiry.Lease
                            ? new Expiry.Lease(d, now.plus(d))
                            : new Expiry.Ttl(d, now.plus(d)))
                    .orElseGet(() -> {
                        if (b.expiry().renewBy().isEmpty()) {
                            throw new ControlException(
                                    Code.INVALID_ARGUMENT,
                                    "branch \"" + name + "\" has no TTL or lease to renew by ("
                                            + b.expiry()
                                                    .deadline()
                                                    .map(d -> "it expires at " + d)
                                                    .orElse("it never expires")
                                            + "): give one (--ttl)");
                        }
                        return b.expiry().renewedAt(now);
                    });
            Branch renewedBranch = b.withExpiry(renewed);
            branches.put(renewedBranch);
            LOG.info("branch {} renewed{}", name, describe(renewedBranch));
            return view(renewedBranch);
        } finally {
            changes.unlock();
        }
    }

    /** Makes branch {@code name} live until it is deleted: its TTL, lease or expiry time is removed. */
    public BranchView keepForever(String name) {
        changes.lock();
        try {
            Branch b = require(name).withExpiry(new Expiry.Never());
            branches.put(b);
            LOG.info("branch {} no longer expires", name);
            return view(b);
        } finally {
            changes.unlock();
        }
    }

    /**
     * Protects branch {@code name} (delete, reset and restore then need force) or unprotects it. Refused for a
     * branch that expires: remove its expiry first ({@link #keepForever}).
     */
    public BranchView protect(String name, boolean protect) {
        changes.lock();
        try {
            Branch b = require(name);
            if (protect && b.expiry().deadline().isPresent()) {
                throw new ControlException(
                        Code.INVALID_ARGUMENT,
                        "branch \"" + name + "\" expires at "
                                + b.expiry().deadline().get()
                                + " and a protected branch cannot expire: make it live until deleted first (sprout"
                                + " branch renew " + name + " --never)");
            }
            Branch changed = b.withProtect(protect);
            branches.put(changed);
            LOG.info("branch {} {}", name, protect ? "protected" : "no longer protected");
            return view(changed);
        } finally {
            changes.unlock();
        }
    }

    /**
     * Deletes every branch whose expiry has come ({@link Expiry#expiredAt}), with its compute, and answers the
     * names deleted. A branch with a child that does not expire with it is kept (with a warning, once) until that
     * child is gone; its expired descendants go with it. Called by the node every few seconds; tests call it with
     * their own clock.
     */
    public List<String> expire() {
        Instant now = clock.instant();
        List<String> gone = new ArrayList<>();
        changes.lock();
        try {
            for (Map.Entry<String, TimelineId> p : points.entrySet()) {
                boolean starting = pointsAsked
                        .getOrDefault(p.getKey(), Instant.MIN)
                        .plus(POINT_GRACE)
                        .isAfter(now);
                if (!starting && computes.endpoint(p.getKey()).state() != Endpoint.State.RUNNING) {
                    dropPoint(p.getKey(), p.getValue(), "its compute was idle");
                }
            }
            List<Branch> all = branches.all();
            for (Branch b : all) {
                if (!b.expiry().expiredAt(now) || b.name().equals(BranchName.MAIN) || gone.contains(b.name())) {
                    continue;
                }
                List<Branch> subtree = new ArrayList<>();
                collect(b, subtree);
                List<String> keeping = subtree.stream()
                        .filter(d -> !d.expiry().expiredAt(now) || d.name().equals(BranchName.MAIN))
                        .map(Branch::name)
                        .toList();
                if (!keeping.isEmpty()) {
                    if (expiryHeld.add(b.name())) {
                        LOG.warn(
                                "branch {} expired at {} but is kept: its descendant(s) {} do not expire with it",
                                b.name(),
                                b.expiry().deadline().orElseThrow(),
                                String.join(", ", keeping));
                    }
                    continue;
                }
                Deleted d = deleteLocked(subtree);
                d.names().forEach(expiryHeld::remove);
                LOG.info(
                        "branch {} expired at {}: deleted {} ({} client connection(s) ended)",
                        b.name(),
                        b.expiry().deadline().orElseThrow(),
                        String.join(", ", d.names()),
                        d.connectionsEnded());
                d.warnings().forEach(LOG::warn);
                gone.addAll(d.names());
            }
        } finally {
            changes.unlock();
        }
        return gone;
    }

    /** ", expires at T (ttl PT72H)" and ", protected", as a log line's tail. */
    private static String describe(Branch b) {
        String expiry = b.expiry()
                .deadline()
                .map(d -> ", expires at " + d
                        + b.expiry()
                                .renewBy()
                                .map(r -> " (" + b.expiry().kind() + " " + r + ")")
                                .orElse(""))
                .orElse("");
        return expiry + (b.protect() ? ", protected" : "");
    }

    /** Refuses a TTL or lease that is not positive. */
    private static void requireLifetime(Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new ControlException(Code.INVALID_ARGUMENT, "a branch's lifetime must be positive, not " + d);
        }
    }

    private static void requireUnprotected(Branch b, String what) {
        if (b.protect()) {
            throw new ControlException(
                    Code.BRANCH_PROTECTED,
                    "branch \"" + b.name() + "\" is protected and is not " + what + " without --force (or unprotect"
                            + " it: sprout branch protect " + b.name() + " --off)");
        }
    }

    /** The client connections open on {@code name}'s compute now (0 when it does not run). */
    private int openConnections(String name) {
        return computes.running(name).map(Compute::clientConnections).orElse(0);
    }

    /**
     * Sets the PostgreSQL roles the proxy lets connect to branch {@code name}; an empty list lets every role
     * connect. Each role must be a PostgreSQL identifier the proxy can be sent (1 to 63 characters, no NUL).
     */
    public BranchView setRoles(String name, List<String> roles) {
        for (String role : roles) {
            if (role.isEmpty() || role.length() > 63 || role.indexOf('\0') >= 0) {
                throw new ControlException(
                        Code.INVALID_ARGUMENT,
                        "\"" + role.replace("\0", "\\0") + "\" is not a"
                                + " PostgreSQL role name (1 to 63 characters)");
            }
        }
        changes.lock();
        try {
            Branch b =
                    require(name).withRoles(roles.stream().distinct().sorted().toList());
            branches.put(b);
            rolesSeen.put(name, b.roles());
            LOG.info(
                    "branch {}: {}",
                    name,
                    b.roles().isEmpty()
                            ? "every role may connect"
                            : "only roles " + String.join(", ", b.roles()) + " may connect");
            return view(b);
        } finally {
            changes.unlock();
        }
    }

    /**
     * Whether PostgreSQL role {@code role} may connect to branch {@code name} (what the proxy asks before waking).
     *
     * @throws ControlException {@link Code#UNKNOWN_BRANCH}
     */
    public boolean admits(String name, String role) {
        Branch b = require(name);
        rolesSeen.put(name, b.roles());
        return b.admits(role);
    }

    /**
     * {@link #admits} from memory only, for the proxy's event loop: empty when the branch's roles were not read since
     * they last changed (then ask {@link #admits}).
     */
    public Optional<Boolean> admitsNow(String name, String role) {
        List<String> roles = rolesSeen.get(name);
        return roles == null ? Optional.empty() : Optional.of(roles.isEmpty() || roles.contains(role));
    }

    // ---- imports -------------------------------------------------------------------------------------------------

    /**
     * Begins an import that becomes branch {@code branch}: records it, then creates the empty root timeline the
     * importer fills through the page service (a crash in between leaves a record whose timeline is missing, which
     * the next open removes). With {@code replace} the branch must exist (its name moves to the import when it
     * finishes); without, it must not. Earlier imports with no importer attached for {@link #IMPORT_GRACE} are
     * removed first and named in the answer.
     */
    public ImportStarted beginImport(String branch, boolean replace, String source) {
        return beginImport(branch, replace, source, PendingImport.Kind.PHYSICAL);
    }

    /**
     * As {@link #beginImport(String, boolean, String)}, of {@code kind}. A {@link PendingImport.Kind#LOGICAL} import
     * is filled by a restore into its own compute ({@link #startImport}); its importer counts as gone when no client
     * is connected to that compute (the importer holds a connection for as long as it works).
     */
    public ImportStarted beginImport(String branch, boolean replace, String source, PendingImport.Kind kind) {
        requireName(branch);
        changes.lock();
        try {
            List<String> abandoned = new ArrayList<>(abandonedAtOpen);
            abandonedAtOpen.clear();
            Instant now = clock.instant();
            for (PendingImport p : imports.all()) {
                boolean stale = p.startedAt().plus(IMPORT_GRACE).isBefore(now);
                if (stale && importerGone(p)) {
                    String sentence = removeImport(p, "lost its importer (nothing writes it)");
                    LOG.warn(sentence);
                    abandoned.add(sentence);
                } else if (p.branch().equals(branch)) {
                    throw new ControlException(
                            Code.BRANCH_EXISTS,
                            "an import into branch \"" + branch + "\" is already under way (from " + p.source()
                                    + ", since " + p.startedAt() + ")");
                }
            }
            requireImportTarget(branch, replace);
            TimelineId id = TimelineId.random();
            PendingImport pending = new PendingImport(id, branch, replace, source, now, kind);
            imports.put(pending);
            store.createRoot(id, uid, gid);
            LOG.info(
                    "{} import into branch {} from {} begun on timeline {}",
                    kind.name().toLowerCase(Locale.ROOT),
                    branch,
                    source,
                    id);
            return new ImportStarted(pending, template.spec(importKey(id), id), abandoned);
        } finally {
            changes.unlock();
        }
    }

    /** The imports under way. */
    public List<PendingImport> imports() {
        return imports.all();
    }

    /**
     * Starts the compute of logical import {@code timeline}: initdb on its empty timeline (superuser and password as
     * every compute's), then PostgreSQL, which the importer restores into. Starting it again while it runs answers
     * the same address; it stays up until the import finishes or is aborted.
     *
     * @throws ControlException {@link Code#INVALID_ARGUMENT} for a physical import (its compute starts at finish),
     *     {@link Code#COMPUTE_FAILED} when it cannot start
     */
    public ImportCompute startImport(TimelineId timeline) {
        changes.lock();
        try {
            PendingImport p = requireImport(timeline);
            if (!p.logical()) {
                throw new ControlException(
                        Code.INVALID_ARGUMENT,
                        "the import on timeline " + timeline + " is physical: its compute starts when it finishes"
                                + " (POST /v1/imports/" + timeline + "/finish)");
            }
            String key = importKey(timeline);
            long start = System.nanoTime();
            InetSocketAddress address = computes.wake(key, timeline, true, LOGICAL_IMPORT_SETTINGS);
            String superuser = template.spec(key, timeline).superuser();
            LOG.info("the compute of the logical import into branch {} runs on {}", p.branch(), address);
            return new ImportCompute(address, superuser, Duration.ofNanos(System.nanoTime() - start));
        } finally {
            changes.unlock();
        }
    }

    /**
     * Finishes import {@code timeline}: a physical import's compute starts once (backup recovery and the agent's
     * role, then PostgreSQL itself, which proves the data starts) and stops; a logical import's compute, which the
     * restore ran in, stops (its shutdown checkpoint). Then the branch is named, all in one catalog write: with
     * {@code replace} the name's previous state becomes branch {@code NAME-backup-yyyyMMdd-HHmmss} (with its
     * children and roles), and the import keeps the name's roles. A failed first start leaves the import under way
     * (the importer aborts it) and answers {@link Code#COMPUTE_FAILED} with PostgreSQL's words; so does a logical
     * import whose compute never started (nothing was restored).
     */
    public ImportFinished finishImport(TimelineId timeline) {
        return finishImport(timeline, Optional.empty());
    }

    /**
     * As {@link #finishImport(TimelineId)}; with {@code follow} the import becomes a follower: a permanent replication
     * slot is made on the source from the importer's held one (so no WAL is missed), the source role's password is
     * kept in a secret file, and the compute starts as a hot standby streaming from the source (and is not
     * suspended when idle). When the first start fails, the slot is dropped again.
     */
    public ImportFinished finishImport(TimelineId timeline, Optional<FollowSource> follow) {
        changes.lock();
        try {
            PendingImport p = requireImport(timeline);
            requireImportTarget(p.branch(), p.replace());
            if (p.logical() && follow.isPresent()) {
                throw new ControlException(
                        Code.INVALID_ARGUMENT,
                        "a logical import cannot follow its source (a follower streams the WAL of a base backup):"
                                + " import it physically to follow it");
            }
            Optional<Follow> made = follow.map(f -> startFollow(p, f));
            String key = importKey(timeline);
            Duration firstStart = Duration.ZERO;
            Duration stopped = Duration.ZERO;
            long start = System.nanoTime();
            if (p.logical()) {
                if (computes.endpoint(key).state() == Endpoint.State.STOPPED) {
                    throw new ControlException(
                            Code.COMPUTE_FAILED,
                            "the logical import on timeline " + timeline + " has no compute: it was never started"
                                    + " (POST /v1/imports/" + timeline + "/start), so nothing was restored");
                }
                computes.stop(key);
                stopped = Duration.ofNanos(System.nanoTime() - start);
            } else {
                try {
                    computes.wake(key, timeline, false);
                } catch (RuntimeException e) {
                    made.ifPresent(f -> endFollow(f).ifPresent(LOG::warn));
                    throw e;
                } finally {
                    computes.stop(key);
                }
                firstStart = Duration.ofNanos(System.nanoTime() - start);
            }
            TimelineInfo info = store.timeline(timeline);
            Instant now = clock.instant();
            List<Branch> put = new ArrayList<>();
            Optional<String> backup = Optional.empty();
            List<String> roles = List.of();
            Expiry expiry = new Expiry.Never();
            boolean protect = false;
            if (p.replace()) {
                Branch old = require(p.branch());
                expiry = old.expiry().renewedAt(now);
                protect = old.protect();
                computes.stop(old.name());
                String backupName = backupName(old.name());
                backup = Optional.of(backupName);
                roles = old.roles();
                put.add(old.renamed(backupName));
                for (Branch child : branches.children(old.name())) {
                    put.add(child.withParent(Optional.of(backupName)));
                }
            }
            Branch named = new Branch(
                    p.branch(),
                    timeline,
                    Optional.empty(),
                    new BranchPoint.Head(),
                    info.lastLsn(),
                    now,
                    now,
                    roles,
                    expiry,
                    protect);
            put.add(named);
            Map<String, Optional<byte[]>> write = new TreeMap<>(BranchCatalog.changes(put, List.of()));
            write.putAll(ImportCatalog.removal(timeline));
            store.catalog().write(write);
            put.forEach(b -> rolesSeen.remove(b.name()));
            LOG.info(
                    "import from {} is branch {} (timeline {}){}",
                    p.source(),
                    p.branch(),
                    timeline,
                    backup.map(b -> "; its previous state is branch " + b).orElse(""));
            return new ImportFinished(view(named), backup, firstStart, stopped);
        } finally {
            changes.unlock();
        }
    }

    /** Abandons import {@code timeline}: its timeline and record are removed; no branch changes. */
    public void abortImport(TimelineId timeline) {
        changes.lock();
        try {
            PendingImport p = requireImport(timeline);
            LOG.info(removeImport(p, "was aborted by its importer"));
        } finally {
            changes.unlock();
        }
    }

    private PendingImport requireImport(TimelineId timeline) {
        return imports.find(timeline)
                .orElseThrow(() -> new ControlException(
                        Code.UNKNOWN_TIMELINE,
                        "no import is under way on timeline " + timeline
                                + " (it finished, was aborted, or was removed as abandoned)"));
    }

    private void requireImportTarget(String branch, boolean replace) {
        Optional<Branch> existing = branches.find(branch);
        if (existing.isPresent() && !replace) {
            throw new ControlException(
                    Code.BRANCH_EXISTS,
                    "branch \"" + branch + "\" already exists: import with --refresh to move its name to a new base"
                            + " backup (its state now is kept as a backup branch), or choose another --branch");
        }
        if (existing.isEmpty() && replace) {
            throw new ControlException(
                    Code.UNKNOWN_BRANCH,
                    "branch \"" + branch + "\" does not exist, so there is nothing to refresh: import without"
                            + " --refresh to create it");
        }
    }

    /**
     * Whether an import's importer went away: a physical import's holds a read-write page session, a logical
     * import's a client connection to the import's compute (a compute that does not run has none).
     */
    private boolean importerGone(PendingImport p) {
        if (!p.logical()) {
            return !writerAttached.test(p.timeline());
        }
        return computes.running(importKey(p.timeline()))
                .map(c -> c.clientConnections() == 0)
                .orElse(true);
    }

    /** Removes an import's compute (a logical import's), timeline and record; answers the sentence that says so. */
    private String removeImport(PendingImport p, String why) {
        computes.stop(importKey(p.timeline()));
        try {
            store.deleteTimeline(p.timeline());
        } catch (UnknownTimelineException e) {
            // begun but its timeline never made: only the record is left
        }
        imports.remove(p.timeline());
        return "the import into branch \"" + p.branch() + "\" from " + p.source() + " (begun " + p.startedAt() + ") "
                + why + "; its partial timeline " + p.timeline() + " was removed";
    }

    /** The compute name an import's first start runs under (its directory; never a branch name's). */
    private static String importKey(TimelineId timeline) {
        return "import-" + timeline.toString().substring(0, 8);
    }

    // ---- followers -----------------------------------------------------------------------------------------------

    /**
     * Ends the following of branch {@code name}: its compute stops, the replication slot on the source is dropped,
     * and the branch stays with what it holds; its next start ends recovery and makes it a primary of its own.
     * Answers the branch and, when the slot could not be dropped, the sentence saying so (also shown by
     * {@link #slotsLeft} until dropped).
     */
    public Unfollowed unfollow(String name) {
        changes.lock();
        try {
            Branch b = require(name);
            Follow f = follows.find(b.timeline())
                    .filter(x -> x.slotLeft().isEmpty())
                    .orElseThrow(() ->
                            new ControlException(Code.INVALID_ARGUMENT, "branch \"" + name + "\" follows no source"));
            computes.stop(name);
            Optional<String> warning = endFollow(f);
            LOG.info("branch {} no longer follows {}", name, f.source());
            return new Unfollowed(view(b), warning);
        } finally {
            changes.unlock();
        }
    }

    /**
     * Starts the compute of every follower (after a restart nothing else would: a follower streams whether or not
     * clients connect, and its slot holds the source's WAL until it does). A follower that cannot start is logged
     * and left for the next connection. Answers the followers started.
     */
    public List<String> wakeFollowers() {
        List<String> started = new ArrayList<>();
        for (Follow f : follows.all()) {
            if (f.slotLeft().isPresent()) {
                continue;
            }
            Optional<Branch> b = branches.all().stream()
                    .filter(x -> x.timeline().equals(f.timeline()))
                    .findFirst();
            if (b.isEmpty()) {
                continue;
            }
            try {
                wake(b.get().name());
                started.add(b.get().name());
            } catch (RuntimeException e) {
                LOG.error("follower {} of {} did not start: {}", b.get().name(), f.source(), e.getMessage());
            }
        }
        return started;
    }

    /** Sentences for replication slots of ended followers that could not be dropped on their source. */
    public List<String> slotsLeft() {
        return follows.all().stream().flatMap(f -> f.slotLeft().stream()).toList();
    }

    private Follow startFollow(PendingImport p, FollowSource f) {
        String slot = slotName(p.branch(), p.timeline());
        try (SourceServer server = SourceServer.connect(
                SourceUrl.parse(p.source()).withPassword(Optional.of(f.password())), Duration.ofSeconds(10))) {
            server.copySlot(f.heldSlot(), slot);
        } catch (LoadException e) {
            throw new ControlException(Code.INVALID_ARGUMENT, e.getMessage(), e);
        }
        Follow made = new Follow(
                p.timeline(), p.branch(), p.source(), f.conninfo(), f.role(), slot, clock.instant(), Optional.empty());
        follows.savePassword(p.timeline(), f.password());
        follows.write(made);
        LOG.info("branch {} follows {} through replication slot {}", p.branch(), p.source(), slot);
        return made;
    }

    /**
     * Drops the follower's slot on its source and forgets the follower; when the slot cannot be dropped the record
     * stays, marked with the sentence that is answered (the source fills its disk with WAL until someone drops it).
     */
    private Optional<String> endFollow(Follow f) {
        try (SourceServer server = SourceServer.connect(
                SourceUrl.parse(f.source()).withPassword(Optional.of(follows.password(f.timeline()))),
                Duration.ofSeconds(10))) {
            server.dropSlot(f.slot());
            follows.remove(f.timeline());
            return Optional.empty();
        } catch (LoadException | java.io.UncheckedIOException e) {
            String sentence = "replication slot " + f.slot() + " of ended follower " + f.branch() + " is still on "
                    + f.source() + " and keeps its WAL (" + e.getMessage() + "): drop it there, as a superuser or "
                    + f.role() + ": SELECT pg_drop_replication_slot('" + f.slot() + "');";
            LOG.error(sentence);
            follows.write(f.withSlotLeft(sentence));
            return Optional.of(sentence);
        }
    }

    /** {@code spec} as a hot standby of its source when {@code timeline} is a follower's. */
    private ComputeSpec followerSpec(ComputeSpec spec, TimelineId timeline) {
        return follows.find(timeline)
                .filter(f -> f.slotLeft().isEmpty())
                .map(f -> spec.withIdleSuspend(Duration.ZERO)
                        .asStandby(
                                new ComputeSpec.Standby(f.conninfo(), f.slot()), f.role(), follows.password(timeline)))
                .orElse(spec);
    }

    /** How a running follower streams: the WAL receiver's status, replay behind receive, and the last replay. */
    private String followState(String branch) {
        Optional<Compute> c = computes.running(branch);
        if (c.isEmpty()) {
            return "compute not running (it streams again when started)";
        }
        try (java.sql.Connection conn = c.get().connect();
                java.sql.Statement st = conn.createStatement();
                // a role without pg_read_all_stats sees only the receiver's pid: a row with a pid is a receiver
                java.sql.ResultSet rs = st.executeQuery("SELECT coalesce((SELECT coalesce(status, 'streaming')"
                        + " FROM pg_stat_wal_receiver WHERE pid IS NOT NULL), 'not connected to the source'),"
                        + " coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0)::bigint,"
                        + " coalesce(pg_last_xact_replay_timestamp()::text, 'never')")) {
            rs.next();
            return rs.getString(1) + ", replay " + rs.getLong(2) + " bytes behind receive, last transaction replayed "
                    + rs.getString(3);
        } catch (java.sql.SQLException | RuntimeException e) {
            return "state unknown: " + e.getMessage();
        }
    }

    /** A slot name PostgreSQL takes ([a-z0-9_], at most 63): the branch's, and the timeline's first 8 digits. */
    private static String slotName(String branch, TimelineId timeline) {
        String b = branch.replaceAll("[^a-z0-9_]", "_");
        if (b.length() > 40) {
            b = b.substring(0, 40);
        }
        return "sprout_" + b + "_" + timeline.toString().substring(0, 8);
    }

    // ---- computes ------------------------------------------------------------------------------------------------

    /**
     * The address of {@code name}'s compute, started or resumed first (what the proxy asks for each connection).
     *
     * @throws ControlException {@link Code#UNKNOWN_BRANCH}, or {@link Code#COMPUTE_FAILED} when it cannot start
     */
    public InetSocketAddress wake(String name) {
        Branch b = require(name);
        return computes.wake(name, b.timeline(), b.parent().isEmpty());
    }

    /**
     * The Sprout LSN at which branch {@code name}'s PostgreSQL WAL was first durable through {@code wal} (a position
     * from {@code pg_current_wal_lsn()} or PostgreSQL's log): a branch made there holds every transaction committed
     * by then, and nothing written after the WAL fsync that made it durable ({@link WalPoints}).
     *
     * @throws ControlException {@link Code#UNKNOWN_BRANCH}; {@link Code#INVALID_ARGUMENT} when the position is not in
     *     the branch's own history (not yet durable, before the branch started, or its WAL no longer kept);
     *     {@link Code#LSN_OUT_OF_RANGE} when it was made durable below the GC horizon
     */
    public long walPoint(String name, WalLsn wal) {
        Branch b;
        changes.lock();
        try {
            b = require(name);
        } finally {
            changes.unlock();
        }
        return walPoints.lsnOf(name, b.timeline(), wal);
    }

    /**
     * The address of a read-only compute of branch {@code point.branch()} as it was at {@code point}: a timeline made
     * at that LSN (recorded in the catalog, removed with its compute), whose PostgreSQL runs with every transaction
     * read-only ({@link #POINT_SETTINGS}); what a session writes after turning that off goes with the point's
     * timeline, never to the branch. One compute per resolved LSN, started on the first connection and removed by
     * {@link #expire} once it has been idle (suspended), or when the branch is deleted, reset or restored.
     *
     * @throws ControlException {@link Code#UNKNOWN_BRANCH}; {@link Code#LSN_OUT_OF_RANGE} for a point outside the
     *     branch's history (below its GC horizon: the sentence names the horizon); {@link Code#COMPUTE_FAILED}
     */
    public InetSocketAddress wakeAt(PastPoint point) {
        String key;
        TimelineId timeline;
        changes.lock();
        try {
            Branch b = require(point.branch());
            long lsn = switch (point) {
                case PastPoint.AtTime(String _, Instant t) -> branchLsn(b, new BranchPoint.AtTime(t));
                case PastPoint.AtLsn(String _, long l) -> l;
                case PastPoint.AtWal(String _, WalLsn w) -> walPoints.lsnOf(b.name(), b.timeline(), w);
            };
            key = point.branch() + "@lsn:" + lsn;
            pointsAsked.put(key, clock.instant());
            timeline = points.get(key);
            if (timeline == null) {
                TimelineId id = TimelineId.random();
                String recordKey = key;
                storage(() -> store.branch(
                        id,
                        b.timeline(),
                        lsn,
                        t -> Map.of(POINT_PREFIX + id, Optional.of(recordKey.getBytes(StandardCharsets.UTF_8)))));
                points.put(key, id);
                timeline = id;
                LOG.info("branch {} at {}: a read-only compute on timeline {}", point.branch(), point.target(), id);
            }
        } finally {
            changes.unlock();
        }
        return computes.wake(key, timeline, false, POINT_SETTINGS);
    }

    /** The past points with a compute now ({@code NAME@lsn:N}). */
    public List<String> points() {
        return points.keySet().stream().sorted().toList();
    }

    /** Removes the computes of past points of branch {@code name} and their timelines (under the lock of changes). */
    private void dropPoints(String name) {
        for (Map.Entry<String, TimelineId> p : points.entrySet()) {
            if (p.getKey().startsWith(name + "@")) {
                dropPoint(p.getKey(), p.getValue(), "branch " + name + " changed");
            }
        }
    }

    private void dropPoint(String key, TimelineId timeline, String why) {
        computes.discard(key, timeline);
        storage(() -> {
            store.deleteTimeline(timeline);
            return null;
        });
        store.catalog().write(Map.of(POINT_PREFIX + timeline, Optional.empty()));
        points.remove(key);
        pointsAsked.remove(key);
        LOG.info("the read-only compute of {} is removed: {}", key, why);
    }

    /**
     * The catalog record that marks timeline {@code id}, made for {@code what} (a reset, a restore), as not named by
     * a branch yet: written with the timeline, removed with the write that names it ({@link #named}). One found at
     * open is the timeline of an operation the process did not finish: it is removed.
     */
    private static java.util.function.Function<TimelineInfo, Map<String, Optional<byte[]>>> pending(
            TimelineId id, String what) {
        return t -> Map.of(PENDING_PREFIX + id, Optional.of(what.getBytes(StandardCharsets.UTF_8)));
    }

    /** The catalog write that puts {@code put} and removes timeline {@code id}'s pending record. */
    private static Map<String, Optional<byte[]>> named(List<Branch> put, TimelineId id) {
        Map<String, Optional<byte[]>> write = new TreeMap<>(BranchCatalog.changes(put, List.of()));
        write.put(PENDING_PREFIX + id, Optional.empty());
        return write;
    }

    /**
     * Deletes the timelines recorded under catalog prefix {@code prefix} ({@code PREFIX + TIMELINE}, the value
     * saying what it was for), and the records: what a process that stopped left. {@code said} logs each.
     */
    private void removeTimelinesLeft(String prefix, java.util.function.BiConsumer<TimelineId, String> said) {
        for (Map.Entry<String, byte[]> r : store.catalog().scan(prefix).entrySet()) {
            TimelineId id = TimelineId.parse(r.getKey().substring(prefix.length()));
            try {
                store.deleteTimeline(id);
            } catch (UnknownTimelineException e) {
                // deleted before the record: only the record is left
            }
            store.catalog().write(Map.of(r.getKey(), Optional.empty()));
            said.accept(id, new String(r.getValue(), StandardCharsets.UTF_8));
        }
    }

    /** The running compute of {@code name}, if any. */
    public Optional<Compute> compute(String name) {
        return computes.running(name);
    }

    /**
     * The address of {@code name}'s compute if it runs now, without waiting for anything (the proxy's fast path
     * for each connection); empty when {@link #wake} is needed.
     */
    public Optional<InetSocketAddress> runningNow(String name) {
        return computes.runningNow(name);
    }

    public void suspend(String name) {
        require(name);
        computes.suspend(name);
    }

    public void stop(String name) {
        require(name);
        computes.stop(name);
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private Branch require(String name) {
        requireName(name);
        return branches.find(name)
                .orElseThrow(() -> new ControlException(Code.UNKNOWN_BRANCH, "branch \"" + name + "\" does not exist"));
    }

    private void requireNoChildren(Branch b, String what) {
        List<Branch> kids = branches.children(b.name());
        if (!kids.isEmpty()) {
            throw new ControlException(
                    Code.BRANCH_HAS_CHILDREN,
                    "cannot " + what + " branch \"" + b.name() + "\": it has child branch(es) "
                            + String.join(", ", kids.stream().map(Branch::name).toList()));
        }
    }

    /** Children first, then {@code b}. */
    private void collect(Branch b, List<Branch> out) {
        for (Branch child : branches.children(b.name())) {
            collect(child, out);
        }
        out.add(b);
    }

    /** A point of a branch's history resolved to its timeline and LSN. */
    public record Point(String branch, TimelineId timeline, long lsn) {}

    /** What one point wrote since the common ancestor point: blocks by file name in its database directory. */
    public record SideChanges(Point point, Map<String, java.util.SortedSet<Integer>> files, long pageVersions) {}

    /** See {@link #changes}. */
    public record Changes(String ancestorBranch, long ancestorLsn, SideChanges from, SideChanges to) {}

    /**
     * The blocks of the relation files in directory {@code fromDir} (of {@code from}'s data directory, e.g.
     * {@code base/5}) and {@code toDir} that each point wrote since the last point of history they share, from the
     * store's change log: for each side, what its own timeline and every timeline between it and the shared one
     * wrote, and on the shared timeline what it wrote after the other side left it. A head of a running branch is
     * checkpointed first (as for a branch), so what its compute holds is in the store.
     *
     * @throws ControlException {@link Code#INVALID_ARGUMENT} when the points share no history;
     *     {@link Code#LSN_OUT_OF_RANGE} when a range is below what the change log holds
     */
    public Changes changes(String from, BranchPoint fromAt, String to, BranchPoint toAt, String fromDir, String toDir) {
        Point a = point(from, fromAt);
        Point b = point(to, toAt);
        List<Map.Entry<TimelineId, Long>> chainA = chain(a);
        List<Map.Entry<TimelineId, Long>> chainB = chain(b);
        Map<TimelineId, Long> inB = new java.util.LinkedHashMap<>();
        chainB.forEach(e -> inB.put(e.getKey(), e.getValue()));
        int common = -1;
        for (int i = 0; i < chainA.size(); i++) {
            if (inB.containsKey(chainA.get(i).getKey())) {
                common = i;
                break;
            }
        }
        if (common < 0) {
            throw new ControlException(
                    Code.INVALID_ARGUMENT,
                    from + " and " + to + " share no history (neither descends from the other's root): compare them"
                            + " by scanning (--full)");
        }
        TimelineId shared = chainA.get(common).getKey();
        long upA = chainA.get(common).getValue();
        long upB = inB.get(shared);
        long ancestorLsn = Math.min(upA, upB);
        String ancestor = branches.all().stream()
                .filter(x -> x.timeline().equals(shared))
                .map(Branch::name)
                .findFirst()
                .orElse(shared.toString());
        return new Changes(
                ancestor,
                ancestorLsn,
                side(a, chainA, shared, ancestorLsn, fromDir),
                side(b, chainB, shared, ancestorLsn, toDir));
    }

    private Point point(String name, BranchPoint at) {
        Branch br = require(name);
        long lsn = branchLsn(br, at);
        return new Point(name, br.timeline(), lsn);
    }

    /** The point's timeline and its ancestors, each with the last LSN of it that the point sees. */
    private List<Map.Entry<TimelineId, Long>> chain(Point p) {
        List<Map.Entry<TimelineId, Long>> out = new ArrayList<>();
        TimelineId t = p.timeline();
        long upTo = p.lsn();
        while (true) {
            out.add(Map.entry(t, upTo));
            TimelineInfo info = store.timeline(t);
            if (info.parent().isEmpty()) {
                return out;
            }
            upTo = info.branchLsn();
            t = info.parent().get();
        }
    }

    private SideChanges side(
            Point p, List<Map.Entry<TimelineId, Long>> chain, TimelineId shared, long ancestorLsn, String dir) {
        Map<Long, java.util.SortedSet<Integer>> byFile = new TreeMap<>();
        long versions = 0;
        for (Map.Entry<TimelineId, Long> e : chain) {
            TimelineId t = e.getKey();
            long after = t.equals(shared) ? ancestorLsn : store.timeline(t).branchLsn();
            var changed = storage(() -> store.changedBlocks(t, after, e.getValue()));
            for (var f : changed.entrySet()) {
                byFile.computeIfAbsent(f.getKey(), k -> new java.util.TreeSet<>())
                        .addAll(f.getValue());
                versions += f.getValue().size();
            }
            if (t.equals(shared)) {
                break;
            }
        }
        Map<String, java.util.SortedSet<Integer>> files = new TreeMap<>();
        String path = dev.sprout.compute.load.PhysicalImport.DATA_ROOT + "/" + dir;
        for (var entry : storage(() -> store.readdir(p.timeline(), p.lsn(), path))) {
            var blocks = byFile.get(entry.fileId());
            if (blocks != null) {
                files.put(entry.name(), blocks);
            }
        }
        return new SideChanges(p, files, versions);
    }

    private long branchLsn(Branch parent, BranchPoint at) {
        return switch (at) {
            case BranchPoint.Head _ ->
                computes.running(parent.name())
                        .map(c -> {
                            try {
                                return c.checkpointForBranch();
                            } catch (RuntimeException e) {
                                if (c.settledState() == Compute.State.SUSPENDED) {
                                    // its idle watchdog suspended it meanwhile: a suspend commits all it held
                                    return store.timeline(parent.timeline()).lastLsn();
                                }
                                throw new ControlException(
                                        Code.COMPUTE_FAILED,
                                        "cannot checkpoint the compute of branch \"" + parent.name()
                                                + "\" before branching: " + e.getMessage(),
                                        e);
                            }
                        })
                        .orElseGet(() -> store.timeline(parent.timeline()).lastLsn());
            case BranchPoint.AtLsn(long lsn) -> lsn;
            case BranchPoint.AtTime(Instant t) -> storage(() -> store.lsnAt(parent.timeline(), t));
        };
    }

    private BranchView view(Branch b) {
        Optional<FollowView> follow = follows.find(b.timeline())
                .filter(f -> f.slotLeft().isEmpty())
                .map(f -> new FollowView(f.source(), followState(b.name())));
        return new BranchView(b, store.timeline(b.timeline()), computes.endpoint(b.name()), follow);
    }

    /** Runs a store call, turning its range refusals into {@link Code#LSN_OUT_OF_RANGE}. */
    static <T> T storage(Supplier<T> call) {
        try {
            return call.get();
        } catch (StorageException e) {
            if (e.code() == ErrorCode.LSN_OUT_OF_RANGE) {
                throw new ControlException(Code.LSN_OUT_OF_RANGE, e.getMessage(), e);
            }
            throw e;
        }
    }

    @Override
    public void close() {
        computes.close();
    }

    /** Refuses a name that does not follow {@link BranchName}'s rule, naming it and the rule. */
    private static void requireName(String name) {
        if (!BranchName.isValid(name)) {
            throw new ControlException(
                    Code.INVALID_NAME, "invalid branch name \"" + name + "\": use " + BranchName.RULE);
        }
    }
}
