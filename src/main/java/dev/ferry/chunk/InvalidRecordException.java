package dev.ferry.chunk;

/**
 * A Kafka record that is not a valid Ferry record. The message says which header or rule failed, with the stored and
 * the expected value, because it ends up in the dead-letter topic where an operator has to make sense of it.
 */
public class InvalidRecordException extends Exception {

    public InvalidRecordException(String message) {
        super(message);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        // Expected on hostile or foreign input; the message is the whole story.
        return this;
    }
}
