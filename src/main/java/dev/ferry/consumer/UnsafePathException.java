package dev.ferry.consumer;

/** A wire path that passed the syntax rules but would still leave the outbox, e.g. through a symlink in it. */
public class UnsafePathException extends Exception {

    public UnsafePathException(String message) {
        super(message);
    }
}
