package dev.ferry.stream.source;

/** A video or image folder that cannot be streamed, with a reason an operator can act on. */
public class BadSourceException extends Exception {

    private static final long serialVersionUID = 1L;

    public BadSourceException(String message) {
        super(message);
    }

    public BadSourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
