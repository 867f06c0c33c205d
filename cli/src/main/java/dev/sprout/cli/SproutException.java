package dev.sprout.cli;

/**
 * A failure the user can act on. Its message is the whole sentence that {@code sprout} prints (after
 * "sprout: "), so it names the offending value and, where there is one, what to do about it.
 */
class SproutException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SproutException(String sentence) {
        super(sentence);
    }

    SproutException(String sentence, Throwable cause) {
        super(sentence, cause);
    }
}
