package dev.sprout.protocol.client;

import dev.sprout.protocol.v1.Request;
import dev.sprout.protocol.v1.Response;

/**
 * What each operation of the page service is called in messages and which result a successful answer to it
 * carries. One exhaustive switch per question, so a new operation in {@code page_service.proto} fails to
 * compile here until it is handled.
 */
final class Ops {
    private Ops() {}

    /** The operation's name as written in {@code page_service.proto}, for messages: {@code "GetPages"}. */
    static String name(Request.OpCase op) {
        return switch (op) {
            case ATTACH -> "Attach";
            case DETACH -> "Detach";
            case GET_PAGES -> "GetPages";
            case PUT_PAGES -> "PutPages";
            case COMMIT -> "Commit";
            case GET_ATTR -> "GetAttr";
            case LOOKUP -> "Lookup";
            case READ_DIR -> "ReadDir";
            case CREATE -> "Create";
            case MKDIR -> "Mkdir";
            case UNLINK -> "Unlink";
            case RMDIR -> "Rmdir";
            case RENAME -> "Rename";
            case SET_ATTR -> "SetAttr";
            case TRUNCATE -> "Truncate";
            case PING -> "Ping";
            case OP_NOT_SET -> "(no operation)";
        };
    }

    /** The result a successful answer to {@code op} carries (the pageserver's {@code PageServiceHandler}). */
    static Response.ResultCase expectedResult(Request.OpCase op) {
        return switch (op) {
            case ATTACH -> Response.ResultCase.ATTACHED;
            case DETACH -> Response.ResultCase.DONE;
            case GET_PAGES -> Response.ResultCase.PAGES;
            case PUT_PAGES -> Response.ResultCase.PUT;
            case COMMIT -> Response.ResultCase.COMMITTED;
            case GET_ATTR -> Response.ResultCase.ATTR;
            case LOOKUP -> Response.ResultCase.FOUND;
            case READ_DIR -> Response.ResultCase.ENTRIES;
            case CREATE, MKDIR, UNLINK, RMDIR, RENAME, SET_ATTR, TRUNCATE -> Response.ResultCase.CHANGED;
            case PING -> Response.ResultCase.PONG;
            case OP_NOT_SET -> Response.ResultCase.RESULT_NOT_SET;
        };
    }

    /** True for the operations that change a session's state, whose outcome is unknown when the answer is lost. */
    static boolean changesState(Request.OpCase op) {
        return switch (op) {
            case ATTACH, DETACH, PUT_PAGES, COMMIT, CREATE, MKDIR, UNLINK, RMDIR, RENAME, SET_ATTR, TRUNCATE -> true;
            case GET_PAGES, GET_ATTR, LOOKUP, READ_DIR, PING, OP_NOT_SET -> false;
        };
    }
}
