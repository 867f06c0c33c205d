package dev.sprout.control.api;

import dev.sprout.control.ControlPlane;
import dev.sprout.control.imports.PendingImport;
import dev.sprout.http.ApiException;
import dev.sprout.http.ApiRequest;
import dev.sprout.http.ApiResponse;
import dev.sprout.http.HttpApi;
import dev.sprout.http.Json;
import dev.sprout.http.auth.Principal;
import dev.sprout.http.auth.Scope;
import dev.sprout.protocol.v1.BeginImportRequest;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.FinishImportRequest;
import dev.sprout.protocol.v1.FinishImportResponse;
import dev.sprout.protocol.v1.ImportList;
import dev.sprout.protocol.v1.ImportTarget;
import dev.sprout.protocol.v1.StartImportResponse;
import dev.sprout.storage.timeline.TimelineId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.Optional;

/**
 * The control plane's import API under {@code /v1/imports}: an importer ({@code sprout import}) begins an import,
 * gets a root timeline and a credential for that timeline alone, writes the base backup through the page service,
 * then finishes (the first start, then the branch's name) or aborts. A logical import ({@code "logical": true},
 * {@code sprout import --logical}) gets no page credential: it starts the import's compute (initdb on the empty
 * timeline) and restores into it over SQL, then finishes (the compute stops, the branch gets its name) or aborts.
 * Routes:
 *
 * <pre>
 * GET    /v1/imports                       the imports under way (ImportList)
 * POST   /v1/imports                       begin (BeginImportRequest): 201 with an ImportTarget
 * POST   /v1/imports/{timeline}/start      a logical import's compute: StartImportResponse
 * POST   /v1/imports/{timeline}/finish     FinishImportResponse
 * DELETE /v1/imports/{timeline}            abort: the compute stops, the timeline is removed
 * </pre>
 *
 * Each import needs branch-write on the branch it becomes. Thread-safe.
 */
public final class ImportApi implements HttpApi {
    public static final String PREFIX = "/v1/imports";

    private final ControlPlane control;

    public ImportApi(ControlPlane control) {
        this.control = control;
    }

    @Override
    public ApiResponse handle(ApiRequest request) {
        return ControlApi.answer(request, this::route);
    }

    private ApiResponse route(ApiRequest request) {
        String rest = request.path().substring(PREFIX.length());
        String method = request.method();
        Principal who = request.principal();
        if (rest.isEmpty() || rest.equals("/")) {
            return switch (method) {
                case "GET" -> {
                    who.require(Scope.READ, "list imports");
                    ImportList.Builder list = ImportList.newBuilder();
                    control.imports().forEach(p -> list.addImports(pending(p)));
                    list.addAllSlotsLeft(control.slotsLeft());
                    yield ApiResponse.json(200, list);
                }
                case "POST" ->
                    begin(
                            who,
                            Json.parse(request.body(), BeginImportRequest.newBuilder())
                                    .build());
                default -> notFound(request);
            };
        }
        String[] parts = rest.substring(1).split("/", -1);
        TimelineId timeline = timeline(parts[0]);
        PendingImport p = control.imports().stream()
                .filter(i -> i.timeline().equals(timeline))
                .findFirst()
                .orElse(null);
        String branch = p == null ? "" : p.branch();
        if (parts.length == 1 && method.equals("DELETE")) {
            who.requireBranch(branch, "abort an import into");
            control.abortImport(timeline);
            return ApiResponse.json(200, pendingOrEmpty(p));
        }
        if (parts.length == 2 && parts[1].equals("start") && method.equals("POST")) {
            who.requireBranch(branch, "start the compute of an import into");
            ControlPlane.ImportCompute compute = control.startImport(timeline);
            return ApiResponse.json(
                    200,
                    StartImportResponse.newBuilder()
                            .setHost(compute.address().getHostString())
                            .setPort(compute.address().getPort())
                            .setSuperuser(compute.superuser())
                            .setStartMs(compute.took().toMillis()));
        }
        if (parts.length == 2 && parts[1].equals("finish") && method.equals("POST")) {
            who.requireBranch(branch, "finish an import into");
            FinishImportRequest body = request.body().length == 0
                    ? FinishImportRequest.getDefaultInstance()
                    : Json.parse(request.body(), FinishImportRequest.newBuilder())
                            .build();
            Optional<ControlPlane.FollowSource> follow = body.hasFollow()
                    ? Optional.of(new ControlPlane.FollowSource(
                            body.getFollow().getConninfo(),
                            body.getFollow().getRole(),
                            body.getFollow().getPassword(),
                            body.getFollow().getHeldSlot()))
                    : Optional.empty();
            ControlPlane.ImportFinished done = control.finishImport(timeline, follow);
            return ApiResponse.json(
                    200,
                    FinishImportResponse.newBuilder()
                            .setBranch(ControlApi.branch(done.branch(), 0))
                            .setBackup(done.backup().orElse(""))
                            .setFirstStartMs(done.firstStart().toMillis())
                            .setStopMs(done.stop().toMillis()));
        }
        return notFound(request);
    }

    private ApiResponse begin(Principal who, BeginImportRequest r) {
        if (r.getBranch().isEmpty()) {
            throw ApiException.invalid("an import needs the branch it becomes (\"branch\")");
        }
        who.requireBranch(r.getBranch(), "import into");
        ControlPlane.ImportStarted started = control.beginImport(
                r.getBranch(),
                r.getReplace(),
                r.getSource(),
                r.getLogical() ? PendingImport.Kind.LOGICAL : PendingImport.Kind.PHYSICAL);
        var access = started.access();
        String pem = access.pageserverTlsCa()
                .map(path -> {
                    try {
                        return Files.readString(path);
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot read the page service's certificate " + path, e);
                    }
                })
                .orElse("");
        return ApiResponse.json(
                201,
                ImportTarget.newBuilder()
                        .setTimelineId(started.pending().timeline().toString())
                        .setPageHost(access.pageserverHost())
                        .setPagePort(access.pageserverPort())
                        // a logical import restores over SQL: it has no business with the page service
                        .setCredential(r.getLogical() ? "" : access.pageserverCredential())
                        .setTlsCaPem(pem)
                        .setUid(access.osUser().uid())
                        .setGid(access.osUser().gid())
                        .addAllAbandoned(started.abandoned()));
    }

    private static dev.sprout.protocol.v1.PendingImport.Builder pending(PendingImport p) {
        return dev.sprout.protocol.v1.PendingImport.newBuilder()
                .setTimelineId(p.timeline().toString())
                .setBranch(p.branch())
                .setReplace(p.replace())
                .setSource(p.source())
                .setStartedAt(p.startedAt().toString())
                .setLogical(p.logical());
    }

    private static dev.sprout.protocol.v1.PendingImport.Builder pendingOrEmpty(PendingImport p) {
        return p == null ? dev.sprout.protocol.v1.PendingImport.newBuilder() : pending(p);
    }

    private static TimelineId timeline(String text) {
        try {
            return TimelineId.parse(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("\"" + text + "\" is not a timeline id");
        }
    }

    private static ApiResponse notFound(ApiRequest request) {
        return new ApiException(
                        404,
                        Code.MALFORMED_REQUEST,
                        request.method() + " " + request.path() + ": no such route (GET or POST /v1/imports, POST"
                                + " /v1/imports/{timeline}/start, POST /v1/imports/{timeline}/finish, DELETE"
                                + " /v1/imports/{timeline})",
                        Map.of())
                .response();
    }
}
