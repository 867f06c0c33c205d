package dev.sprout.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The management API's JSON: the proto3 JSON mapping of the messages in {@code management.proto}, through
 * protobuf's {@link JsonFormat}. Field names are lowerCamelCase; 64-bit integers are JSON strings on output
 * (the mapping's rule, so that JavaScript clients keep every digit) and either strings or numbers on input.
 *
 * <p>Every field is printed, defaults included ({@code "lastLsn": "0"}, {@code "parentId": ""}), so a reader
 * sees the whole message. Parsing is strict: an unknown field is refused rather than ignored, because a
 * misspelt {@code ancestorLsn} silently ignored would branch at the parent's head instead.
 *
 * <p>Thread-safe: the printer and parser are immutable.
 */
public final class Json {
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().alwaysPrintFieldsWithNoPresence();
    private static final JsonFormat.Printer ONE_LINE = PRINTER.omittingInsignificantWhitespace();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();
    private static final Pattern JAVA_EXCEPTION_PREFIX = Pattern.compile("^(?:[a-z]\\w*\\.)+\\w+(?:Exception|Error): ");

    private Json() {}

    public static String print(MessageOrBuilder message) {
        try {
            return PRINTER.print(message) + "\n";
        } catch (InvalidProtocolBufferException e) {
            // Only Any fields with unknown types fail to print; these messages have none.
            throw new IllegalStateException("cannot print " + message.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** {@code message} as JSON on one line without a line end (for a JSON-lines file). */
    public static String printOneLine(MessageOrBuilder message) {
        try {
            return ONE_LINE.print(message);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("cannot print " + message.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /**
     * Parses a request body into {@code builder}; an empty body is the empty message ({@code {}}).
     *
     * @throws ApiException 400 MALFORMED_REQUEST naming the message and what is wrong with the body
     */
    public static <B extends Message.Builder> B parse(byte[] body, B builder) {
        String name = builder.getDescriptorForType().getName();
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
        } catch (CharacterCodingException e) {
            throw ApiException.malformed("the request body is not UTF-8 (expected a " + name + " as JSON)");
        }
        if (text.isBlank()) {
            return builder;
        }
        try {
            PARSER.merge(text, builder);
            return builder;
        } catch (InvalidProtocolBufferException e) {
            // JsonFormat wraps Gson's syntax errors with their class name in front; the reader needs the sentence.
            String why = JAVA_EXCEPTION_PREFIX
                    .matcher(String.valueOf(e.getMessage()))
                    .replaceAll("");
            throw ApiException.malformed("the request body is not a valid " + name + ": " + why);
        }
    }
}
