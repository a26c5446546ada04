package dev.ferry.receipt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

class ReceiptIndexTest {

    static String id(Random random) {
        return String.format("%016x%016x", random.nextLong(), random.nextLong());
    }

    @Test
    void putsRemovesAndLookupsAgreeWithAMap() {
        Random random = new Random(7);
        ReceiptIndex index = new ReceiptIndex();
        Map<String, ReceiptIndex.Entry> expected = new HashMap<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 200_000; i++) {
            int op = random.nextInt(10);
            if (op < 6 || ids.isEmpty()) {
                String id = id(random);
                ids.add(id);
                Receipt.Outcome o = Receipt.Outcome.values()[random.nextInt(4)];
                int attempt = random.nextInt(5);
                index.put(id, o, attempt);
                expected.put(id, new ReceiptIndex.Entry(o, attempt));
            } else if (op < 8) {
                String id = ids.get(random.nextInt(ids.size()));
                index.remove(id);
                expected.remove(id);
            } else {
                String id = ids.get(random.nextInt(ids.size()));
                index.put(id, Receipt.Outcome.DELIVERED, 9);
                expected.put(id, new ReceiptIndex.Entry(Receipt.Outcome.DELIVERED, 9));
            }
        }
        assertThat(index.size()).isEqualTo(expected.size());
        for (String id : ids) {
            assertThat(index.get(id)).as(id).isEqualTo(expected.get(id));
        }
        assertThat(index.get(id(new Random(99)))).isNull();
    }

    @Test
    void aMillionReceiptsTakeTensOfMegabytesNotHundreds() {
        Random random = new Random(1);
        ReceiptIndex index = new ReceiptIndex();
        for (int i = 0; i < 1_000_000; i++) {
            index.put(id(random), Receipt.Outcome.DELIVERED, 0);
        }
        System.out.printf("1,000,000 receipts in the index: %d MiB (%d bytes per receipt)%n", index.bytes() >> 20,
                index.bytes() / index.size());
        assertThat(index.size()).isEqualTo(1_000_000);
        assertThat(index.bytes()).isLessThan(64L << 20);
    }
}
