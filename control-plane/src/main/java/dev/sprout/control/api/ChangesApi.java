package dev.sprout.control.api;

import dev.sprout.control.ControlPlane;
import dev.sprout.http.ApiException;
import dev.sprout.http.ApiRequest;
import dev.sprout.http.ApiResponse;
import dev.sprout.http.HttpApi;
import dev.sprout.http.Json;
import dev.sprout.http.auth.Principal;
import dev.sprout.http.auth.Scope;
import dev.sprout.protocol.v1.BlockList;
import dev.sprout.protocol.v1.ChangesRequest;
import dev.sprout.protocol.v1.ChangesResponse;
import dev.sprout.protocol.v1.Code;
import dev.sprout.protocol.v1.PointRef;
import dev.sprout.protocol.v1.SideChanges;
import dev.sprout.storage.timeline.BranchPoint;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * {@code POST /v1/changes} (ChangesRequest): which blocks of which relation files two points of history wrote since
 * the last point they share, from the store's change log (see {@link ControlPlane#changes}). Reads branches: needs
 * the read scope. Thread-safe.
 */
public final class ChangesApi implements HttpApi {
    public static final String PREFIX = "/v1/changes";

    private final ControlPlane control;

    public ChangesApi(ControlPlane control) {
        this.control = control;
    }

    @Override
    public ApiResponse handle(ApiRequest request) {
        return ControlApi.answer(request, this::route);
    }

    private ApiResponse route(ApiRequest request) {
        if (!request.path().equals(PREFIX)) {
            return new ApiException(
                            404,
                            Code.MALFORMED_REQUEST,
                            request.method() + " " + request.path() + ": no such route (POST " + PREFIX + ")",
                            Map.of())
                    .response();
        }
        if (!request.method().equals("POST")) {
            return new ApiException(
                            405,
                            Code.MALFORMED_REQUEST,
                            request.method() + " is not allowed here (allowed: POST)",
                            Map.of("Allow", "POST"))
                    .response();
        }
        Principal who = request.principal();
        who.require(Scope.READ, "read the changes of branches");
        ChangesRequest r =
                Json.parse(request.body(), ChangesRequest.newBuilder()).build();
        if (r.getFrom().getBranch().isEmpty() || r.getTo().getBranch().isEmpty()) {
            throw ApiException.invalid("name both points' branches (\"from\": {\"branch\": ...}, \"to\": ...)");
        }
        for (String dir : new String[] {r.getFromDir(), r.getToDir()}) {
            if (!dir.matches("base/[0-9]+|global")) {
                throw ApiException.invalid(
                        "\"fromDir\" and \"toDir\" name a database's directory, e.g. base/5; not \"" + dir + "\"");
            }
        }
        ControlPlane.Changes c = control.changes(
                r.getFrom().getBranch(),
                point(r.getFrom(), "from"),
                r.getTo().getBranch(),
                point(r.getTo(), "to"),
                r.getFromDir(),
                r.getToDir());
        return ApiResponse.json(
                200,
                ChangesResponse.newBuilder()
                        .setAncestorBranch(c.ancestorBranch())
                        .setAncestorLsn(c.ancestorLsn())
                        .setFrom(side(c.from()))
                        .setTo(side(c.to()))
                        .build());
    }

    private static BranchPoint point(PointRef p, String which) {
        if (p.getAtLsn() != 0 && !p.getAtTime().isEmpty()) {
            throw ApiException.invalid("\"" + which + "\": give atLsn or atTime, not both");
        }
        if (p.getAtLsn() != 0) {
            return new BranchPoint.AtLsn(p.getAtLsn());
        }
        if (p.getAtTime().isEmpty()) {
            return new BranchPoint.Head();
        }
        try {
            return new BranchPoint.AtTime(OffsetDateTime.parse(p.getAtTime()).toInstant());
        } catch (DateTimeParseException e) {
            throw ApiException.invalid("\"" + which + "\".atTime " + p.getAtTime()
                    + " is not an RFC 3339 time with an offset (e.g. 2026-11-28T09:00:00Z)");
        }
    }

    private static SideChanges side(ControlPlane.SideChanges s) {
        SideChanges.Builder b = SideChanges.newBuilder().setLsn(s.point().lsn()).setPageVersions(s.pageVersions());
        s.files()
                .forEach((name, blocks) -> b.putFiles(
                        name, BlockList.newBuilder().addAllBlocks(blocks).build()));
        return b.build();
    }
}
