package dev.ferry.transfer;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Which side of a transfer a view belongs to. Written as {@code producer} or {@code consumer} (API, history, logs). */
public enum Side {
    PRODUCER, CONSUMER;

    @JsonValue
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @throws IllegalArgumentException
     *             naming the allowed values
     */
    @JsonCreator
    public static Side parse(String value) {
        for (Side s : values()) {
            if (s.label().equalsIgnoreCase(value)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown side '" + value + "'; allowed: producer, consumer");
    }

    @Override
    public String toString() {
        return label();
    }
}
