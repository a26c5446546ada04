package dev.ferry.chunk;

/**
 * One Ferry record as it travels through Kafka: either a piece of a file or the end of a failed attempt.
 * {@link WireFormat} turns these into Kafka records and back.
 */
public sealed interface FerryRecord permits Chunk, Abort {

    /** The transfer this record belongs to; also the record key, so a transfer stays in one partition. */
    String transferId();

    /**
     * The producer's attempt at this transfer. A later attempt supersedes an earlier one, so the consumer never mixes
     * chunks of two reads of the same file.
     */
    int attempt();

    /** The file's path relative to the inbox, with {@code /} separators; validated by {@link RelativePaths}. */
    String path();
}
