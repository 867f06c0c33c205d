package dev.sprout.control.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.sprout.control.ControlPlane;
import dev.sprout.control.TestControlPlanes;
import dev.sprout.http.ApiRequest;
import dev.sprout.http.ApiResponse;
import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.protocol.v1.Branch;
import dev.sprout.protocol.v1.BranchList;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.DeleteBranchResponse;
import dev.sprout.protocol.v1.ErrorBody;
import dev.sprout.protocol.v1.ResetBranchResponse;
import dev.sprout.protocol.v1.RestoreBranchResponse;
import dev.sprout.protocol.v1.TimelineInfo;
import dev.sprout.protocol.v1.TimelineList;
import dev.sprout.storage.PageStore;
import dev.sprout.storage.StoreOptions;
import dev.sprout.storage.timeline.TimelineId;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The control plane's HTTP/JSON API (docs/api.md) over real HTTP/1.1, mounted on a real in-process pageserver.
 * No test starts a compute: create, list, get, delete, reset and restore only start one when one was running.
 */
class ControlApiTest {
    private static final String PASSWORD = "control-api-test-password";
    private static final TimelineId MAIN =
            new TimelineId(UUID.nameUUIDFromBytes("control-api-test-main".getBytes(StandardCharsets.UTF_8)));
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    private Path base;
    private Pageserver pageserver;
    private ControlPlane cp;

    @BeforeEach
    void start() throws IOException {
        base = Files.createDirectories(Path.of("/tmp", "sprout-control-api-test-" + UUID.randomUUID()));
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        serve();
    }

    /** Starts (or restarts) the pageserver on {@code base/pages} and mounts a control plane opened on its store. */
    private void serve() {
        pageserver = Pageserver.start(
                PageserverConfig.defaults(base.resolve("pages")).withEphemeralPorts());
        cp = TestControlPlanes.open(pageserver, base, Clock.systemUTC(), MAIN, PASSWORD);
        pageserver.mountApi(ControlApi.PREFIX, new ControlApi(cp));
    }

    private void shutdown() {
        if (cp != null) {
            cp.close();
            cp = null;
        }
        if (pageserver != null) {
            pageserver.close();
            pageserver = null;
        }
    }

    @AfterEach
    void stop() throws IOException {
        shutdown();
        try (Stream<Path> walk = Files.walk(base)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @AfterAll
    static void closeClient() {
        HTTP.close();
    }

    // ---- create --------------------------------------------------------------------------------------------------

    @Test
    void createAnswers201ThenTheSameBranchWith200() throws Exception {
        HttpResponse<String> first = call("POST", "/v1/branches", "{\"name\": \"a\"}");
        assertEquals(201, first.statusCode(), first.body());
        assertTrue(
                first.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                first.headers().toString());
        Branch a = parse(first, Branch.getDefaultInstance());
        assertEquals("a", a.getName());
        assertEquals("main", a.getParent());
        assertEquals("STOPPED", a.getComputeState());
        assertEquals("", a.getComputeAddress());
        assertEquals("", a.getLastActivity());
        assertEquals(0, a.getDepth());
        TimelineId.parse(a.getTimelineId()); // a UUID
        assertNotEquals(get("main").getTimelineId(), a.getTimelineId());
        Instant.parse(a.getCreatedAt());
        Instant.parse(a.getBranchTime());
        // every field is printed, defaults included
        assertTrue(first.body().contains("\"computeAddress\": \"\""), first.body());

        HttpResponse<String> again = call("POST", "/v1/branches", "{\"name\": \"a\"}");
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(
                a.getTimelineId(), parse(again, Branch.getDefaultInstance()).getTimelineId());
        HttpResponse<String> explicitParent = call("POST", "/v1/branches", "{\"name\": \"a\", \"parent\": \"main\"}");
        assertEquals(200, explicitParent.statusCode(), explicitParent.body());
        assertEquals(
                a.getTimelineId(),
                parse(explicitParent, Branch.getDefaultInstance()).getTimelineId());

        // the same name from another point: refused, and the branch is unchanged
        String other = Long.toString(a.getBranchLsn() + 1);
        ErrorBody exists = error(
                call("POST", "/v1/branches", "{\"name\": \"a\", \"atLsn\": \"" + other + "\"}"),
                409,
                Code.BRANCH_EXISTS);
        assertTrue(exists.getMessage().contains("\"a\""), exists.getMessage());
        assertEquals(a.getTimelineId(), get("a").getTimelineId());

        // the single GET of a branch has depth 0 and the same fields
        Branch got = get("a");
        assertEquals(a.getTimelineId(), got.getTimelineId());
        assertEquals(a.getBranchLsn(), got.getBranchLsn());
        assertEquals("main", got.getParent());
        assertEquals(0, got.getDepth());
    }

    @Test
    void createAtAnLsnAndRepeatIt() throws Exception {
        long head = mainTimeline().getLastLsn();
        String body = "{\"name\": \"pinned\", \"atLsn\": \"" + head + "\"}";
        assertTrue(
                head > 0, "atLsn 0 would be \"not set\" (proto3): the root must have an LSN of its own, got " + head);
        HttpResponse<String> made = expect(call("POST", "/v1/branches", body), 201);
        Branch pinned = parse(made, Branch.getDefaultInstance());
        assertEquals(head, pinned.getBranchLsn());
        HttpResponse<String> again = call("POST", "/v1/branches", body);
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(
                pinned.getTimelineId(),
                parse(again, Branch.getDefaultInstance()).getTimelineId());
        // the same name at the head is another request
        error(call("POST", "/v1/branches", "{\"name\": \"pinned\"}"), 409, Code.BRANCH_EXISTS);
    }

    @Test
    void createRefusals() throws Exception {
        ErrorBody noName = error(call("POST", "/v1/branches", "{}"), 400, Code.INVALID_ARGUMENT);
        assertTrue(noName.getMessage().contains("name"), noName.getMessage());
        error(call("POST", "/v1/branches", ""), 400, Code.INVALID_ARGUMENT);
        error(call("POST", "/v1/branches", "{\"parent\": \"main\"}"), 400, Code.INVALID_ARGUMENT);

        ErrorBody badName = error(call("POST", "/v1/branches", "{\"name\": \"Bad Name\"}"), 400, Code.INVALID_NAME);
        assertTrue(badName.getMessage().contains("\"Bad Name\""), badName.getMessage());
        error(call("POST", "/v1/branches", "{\"name\": \"-dash\"}"), 400, Code.INVALID_NAME);
        error(call("POST", "/v1/branches", "{\"name\": \"" + "x".repeat(64) + "\"}"), 400, Code.INVALID_NAME);
        error(call("POST", "/v1/branches", "{\"name\": \"ok\", \"parent\": \"Not Valid\"}"), 400, Code.INVALID_NAME);

        error(
                call(
                        "POST",
                        "/v1/branches",
                        "{\"name\": \"both\", \"atLsn\": \"1\", \"atTime\": \"2026-05-01T12:00:00Z\"}"),
                400,
                Code.INVALID_ARGUMENT);
        ErrorBody badTime = error(
                call("POST", "/v1/branches", "{\"name\": \"t\", \"atTime\": \"yesterday noon\"}"),
                400,
                Code.INVALID_ARGUMENT);
        assertTrue(badTime.getMessage().contains("yesterday noon"), badTime.getMessage());
        ErrorBody noOffset = error(
                call("POST", "/v1/branches", "{\"name\": \"t\", \"atTime\": \"2026-05-01T12:00:00\"}"),
                400,
                Code.INVALID_ARGUMENT);
        assertTrue(noOffset.getMessage().contains("2026-05-01T12:00:00"), noOffset.getMessage());

        ErrorBody badWal = error(
                call("POST", "/v1/branches", "{\"name\": \"w\", \"atWalLsn\": \"0/xyz\"}"), 400, Code.INVALID_ARGUMENT);
        assertTrue(badWal.getMessage().contains("pg_current_wal_lsn()"), badWal.getMessage());
        ErrorBody walAndLsn = error(
                call("POST", "/v1/branches", "{\"name\": \"w\", \"atWalLsn\": \"0/1\", \"atLsn\": \"1\"}"),
                400,
                Code.INVALID_ARGUMENT);
        assertTrue(walAndLsn.getMessage().contains("atWalLsn alone"), walAndLsn.getMessage());
        ErrorBody walAhead = error(
                call("POST", "/v1/branches", "{\"name\": \"w\", \"atWalLsn\": \"FF/0\"}"), 400, Code.INVALID_ARGUMENT);
        assertTrue(walAhead.getMessage().contains("FF/0"), walAhead.getMessage());

        ErrorBody unknownParent = error(
                call("POST", "/v1/branches", "{\"name\": \"x\", \"parent\": \"nope\"}"), 404, Code.UNKNOWN_BRANCH);
        assertEquals("branch \"nope\" does not exist", unknownParent.getMessage());

        ErrorBody unknownField = error(
                call("POST", "/v1/branches", "{\"name\": \"x\", \"parnet\": \"main\"}"), 400, Code.MALFORMED_REQUEST);
        assertTrue(unknownField.getMessage().contains("parnet"), unknownField.getMessage());
        error(call("POST", "/v1/branches", "{\"name\": "), 400, Code.MALFORMED_REQUEST);
        error(call("POST", "/v1/branches", "[1, 2]"), 400, Code.MALFORMED_REQUEST);

        long beyond = mainTimeline().getLastLsn() + 1_000_000;
        ErrorBody range = error(
                call("POST", "/v1/branches", "{\"name\": \"far\", \"atLsn\": \"" + beyond + "\"}"),
                400,
                Code.LSN_OUT_OF_RANGE);
        assertTrue(range.getMessage().contains(Long.toString(beyond)), range.getMessage());
        ErrorBody future = error(
                call(
                        "POST",
                        "/v1/branches",
                        "{\"name\": \"later\", \"atTime\": \"" + Instant.now().plus(Duration.ofDays(1)) + "\"}"),
                400,
                Code.LSN_OUT_OF_RANGE);
        assertTrue(future.getMessage().contains("future"), future.getMessage());

        // nothing of a refused request was made
        assertEquals(List.of("main"), names(list()));
        assertEquals(1, timelines().getTimelinesCount());
    }

    // ---- names with '/' ------------------------------------------------------------------------------------------

    @Test
    void namesWithSlashesAreWrittenAsIsInThePath() throws Exception {
        Branch made = parse(
                expect(call("POST", "/v1/branches", "{\"name\": \"team/feature-x\"}"), 201),
                Branch.getDefaultInstance());
        Branch child = parse(
                expect(
                        call(
                                "POST",
                                "/v1/branches",
                                "{\"name\": \"team/feature-x/fix\", \"parent\": \"team/feature-x\"}"),
                        201),
                Branch.getDefaultInstance());
        assertEquals("team/feature-x", child.getParent());

        Branch got = get("team/feature-x");
        assertEquals("team/feature-x", got.getName());
        assertEquals(made.getTimelineId(), got.getTimelineId());
        assertEquals("team/feature-x", get("team/feature-x/fix").getParent());
        error(call("GET", "/v1/branches/team", null), 404, Code.UNKNOWN_BRANCH);

        // the action is the last segment; the name is everything before it
        error(call("POST", "/v1/branches/team/feature-x/reset", null), 409, Code.BRANCH_HAS_CHILDREN);
        Branch reset = parse(
                        expect(call("POST", "/v1/branches/team/feature-x/fix/reset", null), 200),
                        ResetBranchResponse.getDefaultInstance())
                .getBranch();
        assertEquals("team/feature-x/fix", reset.getName());
        assertEquals("team/feature-x", reset.getParent());
        assertNotEquals(child.getTimelineId(), reset.getTimelineId());

        DeleteBranchResponse deleted = parse(
                expect(call("DELETE", "/v1/branches/team/feature-x/fix", null), 200),
                DeleteBranchResponse.getDefaultInstance());
        assertEquals(List.of("team/feature-x/fix"), deleted.getDeletedList());
        Branch resetParent = parse(
                        expect(call("POST", "/v1/branches/team/feature-x/reset", null), 200),
                        ResetBranchResponse.getDefaultInstance())
                .getBranch();
        assertEquals("team/feature-x", resetParent.getName());
        assertNotEquals(made.getTimelineId(), resetParent.getTimelineId());
        assertEquals(
                List.of("team/feature-x"),
                parse(
                                expect(call("DELETE", "/v1/branches/team/feature-x", null), 200),
                                DeleteBranchResponse.getDefaultInstance())
                        .getDeletedList());
        error(call("GET", "/v1/branches/team/feature-x", null), 404, Code.UNKNOWN_BRANCH);
        assertEquals(List.of("main"), names(list()));
    }

    // ---- list and get --------------------------------------------------------------------------------------------

    @Test
    void listIsTheTreeWithDepths() throws Exception {
        expect(call("POST", "/v1/branches", "{\"name\": \"zeta\"}"), 201);
        expect(call("POST", "/v1/branches", "{\"name\": \"alpha\", \"parent\": \"zeta\"}"), 201);
        expect(call("POST", "/v1/branches", "{\"name\": \"mid\"}"), 201);

        BranchList list = list();
        // parents before children, siblings by name (not the names' order: alpha would come first)
        assertEquals(List.of("main", "mid", "zeta", "alpha"), names(list));
        assertEquals(
                List.of(0, 1, 1, 2),
                list.getBranchesList().stream().map(Branch::getDepth).toList());
        assertEquals(
                List.of("", "main", "main", "zeta"),
                list.getBranchesList().stream().map(Branch::getParent).toList());
        assertEquals(get("alpha").getTimelineId(), list.getBranches(3).getTimelineId());
        assertEquals(0, get("alpha").getDepth(), "a single GET has depth 0");
        // the trailing-slash form is the list too
        assertEquals(
                names(list),
                names(parse(expect(call("GET", "/v1/branches/", null), 200), BranchList.getDefaultInstance())));

        Branch main = get("main");
        assertEquals("", main.getParent());
        assertEquals(MAIN.toString(), main.getTimelineId());

        ErrorBody nope = error(call("GET", "/v1/branches/nope", null), 404, Code.UNKNOWN_BRANCH);
        assertEquals("branch \"nope\" does not exist", nope.getMessage());
        error(call("GET", "/v1/branches/No%20Such", null), 400, Code.INVALID_NAME);
    }

    // ---- delete --------------------------------------------------------------------------------------------------

    @Test
    void deleteRefusesChildrenUnlessSubtreeAndNeverMain() throws Exception {
        Branch zeta =
                parse(expect(call("POST", "/v1/branches", "{\"name\": \"zeta\"}"), 201), Branch.getDefaultInstance());
        expect(call("POST", "/v1/branches", "{\"name\": \"alpha\", \"parent\": \"zeta\"}"), 201);
        expect(call("POST", "/v1/branches", "{\"name\": \"omega\", \"parent\": \"alpha\"}"), 201);
        expect(call("POST", "/v1/branches", "{\"name\": \"keep\"}"), 201);

        ErrorBody children = error(call("DELETE", "/v1/branches/zeta", null), 409, Code.BRANCH_HAS_CHILDREN);
        assertTrue(
                children.getMessage().contains("alpha") && children.getMessage().contains("omega"),
                children.getMessage());
        error(call("DELETE", "/v1/branches/zeta?subtree=false", null), 409, Code.BRANCH_HAS_CHILDREN);
        assertEquals(
                List.of("main", "keep", "zeta", "alpha", "omega"), names(list()), "a refused delete deletes nothing");

        DeleteBranchResponse deleted = parse(
                expect(call("DELETE", "/v1/branches/zeta?subtree=true", null), 200),
                DeleteBranchResponse.getDefaultInstance());
        assertEquals(List.of("omega", "alpha", "zeta"), deleted.getDeletedList(), "deepest first");
        assertEquals(List.of("main", "keep"), names(list()));
        error(call("GET", "/v1/branches/alpha", null), 404, Code.UNKNOWN_BRANCH);
        // the timelines went with the names
        assertEquals(
                404, call("GET", "/v1/timelines/" + zeta.getTimelineId(), null).statusCode());
        assertEquals(2, timelines().getTimelinesCount());

        ErrorBody main = error(call("DELETE", "/v1/branches/main", null), 400, Code.INVALID_ARGUMENT);
        assertTrue(main.getMessage().contains("main"), main.getMessage());
        error(call("DELETE", "/v1/branches/main?subtree=true", null), 400, Code.INVALID_ARGUMENT);
        error(call("DELETE", "/v1/branches/nope", null), 404, Code.UNKNOWN_BRANCH);
        assertEquals(List.of("main", "keep"), names(list()));
    }

    // ---- reset ---------------------------------------------------------------------------------------------------

    @Test
    void resetGivesANewTimelineUnderTheSameName() throws Exception {
        Branch a = parse(expect(call("POST", "/v1/branches", "{\"name\": \"a\"}"), 201), Branch.getDefaultInstance());
        ResetBranchResponse answer = parse(
                expect(call("POST", "/v1/branches/a/reset", null), 200), ResetBranchResponse.getDefaultInstance());
        assertEquals(0, answer.getConnectionsEnded(), "no compute ran");
        Branch reset = answer.getBranch();
        assertEquals("a", reset.getName());
        assertEquals("main", reset.getParent());
        assertEquals("STOPPED", reset.getComputeState(), "a reset starts no compute");
        assertNotEquals(a.getTimelineId(), reset.getTimelineId());
        assertEquals(reset.getTimelineId(), get("a").getTimelineId());
        assertEquals(a.getCreatedAt(), reset.getCreatedAt(), "the name was created once");
        ErrorBody oldGone = error(call("GET", "/v1/timelines/" + a.getTimelineId(), null), 404, Code.UNKNOWN_TIMELINE);
        assertTrue(oldGone.getMessage().contains(a.getTimelineId()), oldGone.getMessage());
        assertEquals(
                200, call("GET", "/v1/timelines/" + reset.getTimelineId(), null).statusCode());

        ErrorBody main = error(call("POST", "/v1/branches/main/reset?force=true", null), 400, Code.INVALID_ARGUMENT);
        assertTrue(main.getMessage().contains("main"), main.getMessage());
        expect(call("POST", "/v1/branches", "{\"name\": \"kid\", \"parent\": \"a\"}"), 201);
        ErrorBody children = error(call("POST", "/v1/branches/a/reset", null), 409, Code.BRANCH_HAS_CHILDREN);
        assertTrue(children.getMessage().contains("kid"), children.getMessage());
        assertEquals(reset.getTimelineId(), get("a").getTimelineId(), "a refused reset changes nothing");
        error(call("POST", "/v1/branches/nope/reset", null), 404, Code.UNKNOWN_BRANCH);
    }

    // ---- lifecycle -----------------------------------------------------------------------------------------------

    @Test
    void lifecyclesAreSetRenewedAndProtectedThroughTheApi() throws Exception {
        Branch lease = parse(
                expect(call("POST", "/v1/branches", "{\"name\": \"ci-1\", \"leaseSeconds\": 600}"), 201),
                Branch.getDefaultInstance());
        assertEquals("lease", lease.getExpiry());
        assertEquals(600, lease.getRenewSeconds());
        assertFalse(lease.getExpiresAt().isEmpty());
        Branch renewed = parse(
                expect(call("POST", "/v1/branches/ci-1/renew", "{\"ttlSeconds\": 60}"), 200),
                Branch.getDefaultInstance());
        assertEquals("lease", renewed.getExpiry(), "a lease renewed with a length stays a lease");
        assertEquals(60, renewed.getRenewSeconds());
        Branch forever = parse(
                expect(call("POST", "/v1/branches/ci-1/renew", "{\"never\": true}"), 200), Branch.getDefaultInstance());
        assertEquals("", forever.getExpiresAt());
        assertEquals("", forever.getExpiry());
        Branch fixed = parse(
                expect(
                        call("POST", "/v1/branches", "{\"name\": \"demo\", \"expiresAt\": \"2999-01-01T00:00:00Z\"}"),
                        201),
                Branch.getDefaultInstance());
        assertEquals("fixed", fixed.getExpiry());
        assertEquals("2999-01-01T00:00:00Z", fixed.getExpiresAt());
        error(call("POST", "/v1/branches/demo/renew", "{}"), 400, Code.INVALID_ARGUMENT);
        error(
                call("POST", "/v1/branches/demo/renew", "{\"ttlSeconds\": 5, \"never\": true}"),
                400,
                Code.INVALID_ARGUMENT);
        error(
                call("POST", "/v1/branches", "{\"name\": \"x\", \"ttlSeconds\": 5, \"leaseSeconds\": 5}"),
                400,
                Code.INVALID_ARGUMENT);
        error(
                call("POST", "/v1/branches", "{\"name\": \"x\", \"ttlSeconds\": 5, \"protect\": true}"),
                400,
                Code.INVALID_ARGUMENT);
        error(
                call("POST", "/v1/branches", "{\"name\": \"x\", \"ttlSeconds\": \"999999999999\"}"),
                400,
                Code.INVALID_ARGUMENT);
        error(
                call("POST", "/v1/branches", "{\"name\": \"x\", \"expiresAt\": \"tomorrow\"}"),
                400,
                Code.INVALID_ARGUMENT);
        assertTrue(get("main").getProtect(), "main is protected from its creation");

        Branch guarded = parse(
                expect(call("POST", "/v1/branches", "{\"name\": \"guarded\", \"protect\": true}"), 201),
                Branch.getDefaultInstance());
        assertTrue(guarded.getProtect());
        ErrorBody refused = error(call("DELETE", "/v1/branches/guarded", null), 409, Code.BRANCH_PROTECTED);
        assertTrue(refused.getMessage().contains("--force"), refused.getMessage());
        error(call("POST", "/v1/branches/guarded/reset", null), 409, Code.BRANCH_PROTECTED);
        error(
                call("POST", "/v1/branches/guarded/restore", "{\"time\": \"" + java.time.Instant.now() + "\"}"),
                409,
                Code.BRANCH_PROTECTED);
        expect(call("POST", "/v1/branches/guarded/reset?force=true", null), 200);
        error(call("POST", "/v1/branches/demo/protect", "{\"protect\": true}"), 400, Code.INVALID_ARGUMENT);
        Branch unguarded = parse(
                expect(call("POST", "/v1/branches/guarded/protect", "{\"protect\": false}"), 200),
                Branch.getDefaultInstance());
        assertFalse(unguarded.getProtect());
        expect(call("POST", "/v1/branches/guarded/protect", "{\"protect\": true}"), 200);
        DeleteBranchResponse deleted = parse(
                expect(call("DELETE", "/v1/branches/guarded?force=true", null), 200),
                DeleteBranchResponse.getDefaultInstance());
        assertEquals(List.of("guarded"), deleted.getDeletedList());
        assertEquals(0, deleted.getConnectionsEnded());
    }

    // ---- roles ---------------------------------------------------------------------------------------------------

    @Test
    void aBranchsRolesAreKeptByResetAndRestoreCarriedByTheBackupAndGoneWithTheBranch() throws Exception {
        expect(call("POST", "/v1/branches", "{\"name\": \"r\"}"), 201);
        assertEquals(List.of(), get("r").getRolesList(), "a new branch lets every role connect");
        Branch set = parse(
                expect(call("POST", "/v1/branches/r/roles", "{\"roles\": [\"bob\", \"alice\", \"bob\"]}"), 200),
                Branch.getDefaultInstance());
        assertEquals(List.of("alice", "bob"), set.getRolesList(), "sorted, once each");
        expect(call("POST", "/v1/branches/r/reset", null), 200);
        assertEquals(List.of("alice", "bob"), get("r").getRolesList(), "a reset keeps them");
        Thread.sleep(20);
        String time = java.time.Instant.now().toString();
        RestoreBranchResponse restored = parse(
                expect(call("POST", "/v1/branches/r/restore", "{\"time\": \"" + time + "\"}"), 200),
                RestoreBranchResponse.getDefaultInstance());
        assertEquals(List.of("alice", "bob"), restored.getBranch().getRolesList(), "a restore keeps them");
        assertEquals(
                List.of("alice", "bob"), get(restored.getBackup()).getRolesList(), "the backup holds the same data");
        error(call("POST", "/v1/branches/r/roles", "{\"roles\": [\"\"]}"), 400, Code.INVALID_ARGUMENT);
        error(call("POST", "/v1/branches/nope/roles", "{\"roles\": []}"), 404, Code.UNKNOWN_BRANCH);
        assertEquals(
                List.of(),
                parse(expect(call("POST", "/v1/branches/r/roles", "{\"roles\": []}"), 200), Branch.getDefaultInstance())
                        .getRolesList(),
                "[] lets every role in again");
        expect(call("POST", "/v1/branches/r/roles", "{\"roles\": [\"alice\"]}"), 200);
        expect(call("DELETE", "/v1/branches/" + restored.getBackup() + "?subtree=true", null), 200);
        expect(call("POST", "/v1/branches", "{\"name\": \"r\"}"), 201);
        assertEquals(List.of(), get("r").getRolesList(), "a branch made again under the name starts without");
    }

    // ---- restore -------------------------------------------------------------------------------------------------

    @Test
    void restoreKeepsTheOldStateAsABackupBranch() throws Exception {
        Branch a = parse(expect(call("POST", "/v1/branches", "{\"name\": \"a\"}"), 201), Branch.getDefaultInstance());
        expect(call("POST", "/v1/branches", "{\"name\": \"kid\", \"parent\": \"a\"}"), 201);
        Thread.sleep(20);
        Instant time = Instant.now();
        Thread.sleep(20);

        RestoreBranchResponse restored = parse(
                expect(call("POST", "/v1/branches/a/restore", "{\"time\": \"" + time + "\"}"), 200),
                RestoreBranchResponse.getDefaultInstance());
        String backup = restored.getBackup();
        assertTrue(backup.matches("a-backup-\\d{8}-\\d{6}"), backup);
        assertEquals("a", restored.getBranch().getName());
        assertEquals(backup, restored.getBranch().getParent());
        assertEquals("STOPPED", restored.getBranch().getComputeState(), "a restore starts no compute");
        assertNotEquals(a.getTimelineId(), restored.getBranch().getTimelineId());

        Branch kept = get(backup);
        assertEquals(backup, kept.getName());
        assertEquals(a.getTimelineId(), kept.getTimelineId(), "the backup is the branch's old timeline");
        assertEquals("main", kept.getParent());
        Branch now = get("a");
        assertEquals(restored.getBranch().getTimelineId(), now.getTimelineId());
        assertEquals(backup, now.getParent());
        assertEquals(backup, get("kid").getParent(), "the children stay with the old state");

        BranchList list = list();
        assertEquals(List.of("main", backup, "a", "kid"), names(list));
        assertEquals(
                List.of(0, 1, 2, 2),
                list.getBranchesList().stream().map(Branch::getDepth).toList());

        ErrorBody bad = error(
                call("POST", "/v1/branches/a/restore", "{\"time\": \"last tuesday\"}"), 400, Code.INVALID_ARGUMENT);
        assertTrue(bad.getMessage().contains("last tuesday"), bad.getMessage());
        error(call("POST", "/v1/branches/a/restore", "{}"), 400, Code.INVALID_ARGUMENT);
        error(call("POST", "/v1/branches/a/restore", "{\"tme\": \"" + time + "\"}"), 400, Code.MALFORMED_REQUEST);
        error(
                call(
                        "POST",
                        "/v1/branches/a/restore",
                        "{\"time\": \"" + Instant.now().plus(Duration.ofDays(1)) + "\"}"),
                400,
                Code.LSN_OUT_OF_RANGE);
        error(call("POST", "/v1/branches/nope/restore", "{\"time\": \"" + time + "\"}"), 404, Code.UNKNOWN_BRANCH);
        assertEquals(now.getTimelineId(), get("a").getTimelineId(), "refused restores change nothing");
        assertEquals(4, list().getBranchesCount());

        // deleting the backup's subtree drops both states
        DeleteBranchResponse deleted = parse(
                expect(call("DELETE", "/v1/branches/" + backup + "?subtree=true", null), 200),
                DeleteBranchResponse.getDefaultInstance());
        assertEquals(3, deleted.getDeletedCount());
        assertEquals(backup, deleted.getDeleted(2));
        assertEquals(List.of("main"), names(list()));
    }

    // ---- routing -------------------------------------------------------------------------------------------------

    @Test
    void unknownActionsAndMethods() throws Exception {
        expect(call("POST", "/v1/branches", "{\"name\": \"a\"}"), 201);
        ErrorBody action = error(call("POST", "/v1/branches/a/frobnicate", null), 404, Code.MALFORMED_REQUEST);
        assertTrue(action.getMessage().contains("frobnicate"), action.getMessage());
        error(call("POST", "/v1/branches/a", null), 404, Code.MALFORMED_REQUEST);

        HttpResponse<String> put = call("PUT", "/v1/branches", "{}");
        error(put, 405, Code.MALFORMED_REQUEST);
        assertEquals(List.of("GET", "POST"), allow(put));

        HttpResponse<String> putOne = call("PUT", "/v1/branches/a", "{}");
        ErrorBody notAllowed = error(putOne, 405, Code.MALFORMED_REQUEST);
        assertTrue(notAllowed.getMessage().contains("PUT"), notAllowed.getMessage());
        assertEquals(List.of("GET", "DELETE"), allow(putOne), "Allow lists methods only (RFC 9110: Allow = #method)");
        HttpResponse<String> deleteAll = call("DELETE", "/v1/branches", null);
        error(deleteAll, 405, Code.MALFORMED_REQUEST);
        assertEquals(List.of("GET", "POST"), allow(deleteAll));

        // the compute actions on a stopped branch start nothing; on an unknown branch they are refused
        assertEquals(
                "STOPPED",
                parse(expect(call("POST", "/v1/branches/a/stop", null), 200), Branch.getDefaultInstance())
                        .getComputeState());
        assertEquals(
                "STOPPED",
                parse(expect(call("POST", "/v1/branches/a/suspend", null), 200), Branch.getDefaultInstance())
                        .getComputeState());
        error(call("POST", "/v1/branches/nope/start", null), 404, Code.UNKNOWN_BRANCH);
        error(call("POST", "/v1/branches/nope/stop", null), 404, Code.UNKNOWN_BRANCH);
        assertEquals(List.of("main", "a"), names(list()));
    }

    @Test
    void theManagementApiIsStillServedBesideTheMount() throws Exception {
        Branch a = parse(expect(call("POST", "/v1/branches", "{\"name\": \"a\"}"), 201), Branch.getDefaultInstance());
        TimelineList timelines = timelines();
        List<String> ids = timelines.getTimelinesList().stream()
                .map(TimelineInfo::getTimelineId)
                .toList();
        assertTrue(ids.contains(MAIN.toString()) && ids.contains(a.getTimelineId()), ids.toString());
        assertEquals(2, ids.size());
        assertEquals(200, call("GET", "/healthz", null).statusCode());
        // a path that only begins with the prefix's letters is not the mount's
        error(call("GET", "/v1/branchesx", null), 404, Code.MALFORMED_REQUEST);
        HttpResponse<String> put = call("PUT", "/v1/timelines", "{}");
        error(put, 405, Code.MALFORMED_REQUEST);
        assertEquals(List.of("GET", "POST"), allow(put));
    }

    // ---- durability ----------------------------------------------------------------------------------------------

    @Test
    void branchesSurviveARestart() throws Exception {
        expect(call("POST", "/v1/branches", "{\"name\": \"zeta\"}"), 201);
        expect(call("POST", "/v1/branches", "{\"name\": \"team/feature-x\", \"parent\": \"zeta\"}"), 201);
        expect(call("POST", "/v1/branches", "{\"name\": \"mid\"}"), 201);
        expect(call("POST", "/v1/branches/mid/reset", null), 200);
        BranchList before = list();
        assertEquals(List.of("main", "mid", "zeta", "team/feature-x"), names(before));

        int oldPort = pageserver.httpPort();
        shutdown();
        serve();
        assertNotEquals(0, pageserver.httpPort());

        BranchList after = list();
        assertEquals(names(before), names(after));
        assertEquals(
                before.getBranchesList().stream().map(Branch::getTimelineId).toList(),
                after.getBranchesList().stream().map(Branch::getTimelineId).toList());
        assertEquals(
                before.getBranchesList().stream().map(Branch::getDepth).toList(),
                after.getBranchesList().stream().map(Branch::getDepth).toList());
        assertEquals(
                before.getBranchesList().stream().map(Branch::getCreatedAt).toList(),
                after.getBranchesList().stream().map(Branch::getCreatedAt).toList());
        assertEquals(
                MAIN.toString(), get("main").getTimelineId(), "the root is not made again (port was " + oldPort + ")");
        assertEquals(4, timelines().getTimelinesCount());
        // and they work as before: a repeated create is still recognized
        assertEquals(200, call("POST", "/v1/branches", "{\"name\": \"zeta\"}").statusCode());
        assertEquals(
                List.of("team/feature-x", "zeta"),
                parse(
                                expect(call("DELETE", "/v1/branches/zeta?subtree=true", null), 200),
                                DeleteBranchResponse.getDefaultInstance())
                        .getDeletedList());
    }

    @Test
    void aRefusalOfTheStoreGetsItsOwnStatusAndCodeNotA500() throws Exception {
        // A store that refuses every call (closed under a running control plane, as at shutdown).
        PageStore store = PageStore.open(StoreOptions.defaults(base.resolve("closing")));
        try {
            ControlPlane closing = ControlPlane.open(
                    store,
                    (branch, timeline) -> {
                        throw new AssertionError("no compute is started here");
                    },
                    Clock.systemUTC(),
                    TimelineId.random(),
                    0,
                    0);
            ControlApi api = new ControlApi(closing);
            assertEquals(200, api.handle(ApiRequest.of("GET", "/v1/branches")).status());
            store.close();
            ApiResponse refused = api.handle(ApiRequest.of("GET", "/v1/branches/main"));
            assertEquals(503, refused.status(), refused.bodyText());
            ErrorBody.Builder body = ErrorBody.newBuilder();
            JsonFormat.parser().merge(refused.bodyText(), body);
            assertEquals(Code.CLOSED, body.getCode(), refused.bodyText());
            closing.close();
        } finally {
            store.close(); // idempotent: closed above already when the test got that far
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private HttpResponse<String> call(String method, String path, String body)
            throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + pageserver.httpPort() + path))
                .header(
                        "Authorization",
                        "Bearer " + pageserver.credentials().admin().value())
                .timeout(Duration.ofSeconds(30))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> expect(HttpResponse<String> response, int status) {
        assertEquals(
                status,
                response.statusCode(),
                () -> response.request().method() + " " + response.request().uri() + " answered "
                        + response.statusCode() + ": " + response.body());
        return response;
    }

    /** Checks a refusal: its status, that the body is an ErrorBody with {@code code}, and a sentence. */
    private static ErrorBody error(HttpResponse<String> response, int status, Code code)
            throws InvalidProtocolBufferException {
        expect(response, status);
        ErrorBody body = parse(response, ErrorBody.getDefaultInstance());
        assertEquals(code, body.getCode(), response.body());
        assertTrue(!body.getMessage().isBlank(), response.body());
        return body;
    }

    @SuppressWarnings("unchecked")
    private static <M extends Message> M parse(HttpResponse<String> response, M type)
            throws InvalidProtocolBufferException {
        Message.Builder builder = type.newBuilderForType();
        JsonFormat.parser().merge(response.body(), builder); // strict: an unknown field in an answer fails too
        return (M) builder.build();
    }

    private static List<String> allow(HttpResponse<String> response) {
        String allow = response.headers()
                .firstValue("Allow")
                .orElseThrow(() -> new AssertionError("no Allow header: " + response.headers()));
        return Arrays.stream(allow.split(",")).map(String::trim).toList();
    }

    private Branch get(String name) throws Exception {
        return parse(expect(call("GET", "/v1/branches/" + name, null), 200), Branch.getDefaultInstance());
    }

    private BranchList list() throws Exception {
        return parse(expect(call("GET", "/v1/branches", null), 200), BranchList.getDefaultInstance());
    }

    private TimelineList timelines() throws Exception {
        return parse(expect(call("GET", "/v1/timelines", null), 200), TimelineList.getDefaultInstance());
    }

    private TimelineInfo mainTimeline() throws Exception {
        return parse(expect(call("GET", "/v1/timelines/" + MAIN, null), 200), TimelineInfo.getDefaultInstance());
    }

    private static List<String> names(BranchList list) {
        return list.getBranchesList().stream().map(Branch::getName).toList();
    }
}
