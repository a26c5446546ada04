package dev.ferry.kafka;

/** Names of Ferry's SmallRye Reactive Messaging channels; their settings are in application.properties. */
public final class Channels {

    /** Chunks and aborts from the producer to the chunk topic. */
    public static final String CHUNKS_OUT = "chunks-out";

    /** Chunks from the chunk topic to the consumer. */
    public static final String CHUNKS_IN = "chunks-in";

    private Channels() {
    }
}
