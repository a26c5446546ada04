package dev.ferry.consumer;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A chunk record's value as Kafka hands it over, until the record is staged. Every record's bytes are a new array (the
 * fetch buffer is not kept), and the record stays reachable after staging: the acknowledgement of a transfer's first
 * record is held until the file is delivered ({@link Assembler}), and that {@code Message} holds its Kafka record and
 * payload. Released once staged, a held acknowledgement keeps a few dozen bytes instead of a whole chunk: without it,
 * each unfinished transfer kept a chunk on the heap (up to {@code ferry.max-unfinished-transfers} of them, 1000 x 512
 * KiB by default in a heap of 256 MiB), and each file waiting for delivery kept one too.
 */
public final class RecordValue {

    private volatile byte[] bytes;

    RecordValue(byte[] bytes) {
        this.bytes = bytes;
    }

    /** The value; null for a record without one, or once {@linkplain #release() released}. */
    public byte[] bytes() {
        return bytes;
    }

    public int length() {
        byte[] b = bytes;
        return b == null ? 0 : b.length;
    }

    /** The record is staged: nothing reads its bytes again. */
    void release() {
        bytes = null;
    }

    /** chunks-in's value deserializer: the array Kafka copied the value into, wrapped. */
    public static final class Reader implements Deserializer<RecordValue> {

        @Override
        public RecordValue deserialize(String topic, byte[] data) {
            return new RecordValue(data);
        }
    }

    /** For the connector's dead-letter queue, should a record ever reach it (Ferry writes its own dead letters). */
    public static final class Writer implements Serializer<RecordValue> {

        @Override
        public byte[] serialize(String topic, RecordValue value) {
            return value == null ? null : value.bytes();
        }
    }
}
