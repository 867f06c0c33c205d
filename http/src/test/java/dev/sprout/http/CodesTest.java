package dev.sprout.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sprout.protocol.v1.Code;
import dev.sprout.storage.error.ErrorCode;
import org.junit.jupiter.api.Test;

/** common.proto promises that the engine's codes and the protocol's mirror each other one to one. */
class CodesTest {
    @Test
    void everyEngineCodeMapsToTheProtocolCodeOfTheSameName() {
        for (ErrorCode code : ErrorCode.values()) {
            assertEquals(code.name(), Codes.of(code).name(), "the protocol code for " + code);
        }
    }

    @Test
    void everyProtocolCodeHasAnHttpStatus() {
        for (Code code : Code.values()) {
            int status = Codes.httpStatus(code);
            assertEquals(code == Code.OK, status == 200, code + " answers " + status);
        }
        assertEquals(404, Codes.httpStatus(Code.UNKNOWN_TIMELINE));
        assertEquals(409, Codes.httpStatus(Code.TIMELINE_EXISTS));
        assertEquals(412, Codes.httpStatus(Code.TIMELINE_HAS_CHILDREN));
        assertEquals(400, Codes.httpStatus(Code.LSN_OUT_OF_RANGE));
        assertEquals(503, Codes.httpStatus(Code.CLOSED));
        assertEquals(500, Codes.httpStatus(Code.IO_ERROR));
    }
}
