package dev.ferry.verify;

import java.io.File;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import dev.ferry.chunk.Hashing;
import dev.ferry.chunk.RelativePaths;
import dev.ferry.receipt.KafkaReceipts;
import dev.ferry.receipt.Receipt;
import dev.ferry.receipt.SealedReceipts;
import dev.ferry.trust.KeyRing;

/**
 * Compares what was sent with what is in an outbox, the way an operator would check a transfer by hand: every file sent
 * is in the outbox once, byte-identical (SHA-256), and the outbox holds nothing else.
 * <p>
 * What was sent comes from the chunk topic (every attempt whose chunks are all there, not aborted) and from the
 * receipts topic (files delivered whose chunks have since aged out of the chunk topic). Where each file went comes from
 * its receipt ({@code ferry.on-conflict=keep-both} can deliver {@code a.csv} as {@code a (2).csv}); a file without a
 * receipt is looked for at its own path. With {@code receiptsOnly}, the chunk topic is not read: faster, but a file
 * that was sent and never delivered is not noticed.
 */
public final class Verifier {

    /** A finding about one file. */
    public record Finding(Kind kind, String path, String detail) {
    }

    /** What verify can find, worded as a user reads it; {@code verify --help} prints each with its meaning. */
    public enum Kind {
        MISSING(true, "missing", "sent, but not in the outbox"),
        MISMATCHED(true, "mismatched", "in the outbox at its place, with another size or content than was sent"),
        DUPLICATE(true, "delivered twice", "a second copy of a sent file under another name"),
        EXTRA(true, "extra", "in the outbox, but nothing sent it"),
        DEAD_LETTERED(true, "dead-lettered",
                "the consumer refused a record of it (dead-letter topic, with the reason) and nothing delivered it "
                        + "since: sent, and never to be in the outbox"),
        NO_RECEIPT(false, "no receipt",
                "delivered and identical, but no receipt records it (the receipt was not written yet)"),
        RESENT(false, "re-sent identical copy",
                "the same content was sent again to the same path (the source was touched, or a receipt was late); "
                        + "the outbox holds it once"),
        REPLACED(false, "replaced by newer version",
                "a later version with other content took its path (ferry.on-conflict=replace)"),
        SKIPPED(false, "skipped", "not delivered: a different file was already at its path (ferry.on-conflict=skip)"),
        QUARANTINED(false, "quarantined",
                "the consumer set it aside, its size or hash did not match (outbox/.ferry/quarantine)"),
        UNFINISHED(false, "still sending",
                "in the topic, no attempt has all its chunks yet (sending, or its producer "
                        + "stopped and will resume)"),
        ABANDONED(false, "abandoned attempt", "the producer gave up on it and said so (an abort record: the file "
                + "changed or vanished while it was sent); a later transfer carries the file if it still exists");

        public final boolean isDifference;
        /** The words verify prints. */
        public final String label;
        public final String meaning;

        Kind(boolean isDifference, String label, String meaning) {
            this.isDifference = isDifference;
            this.label = label;
            this.meaning = meaning;
        }
    }

    /** The outcome: counts and findings; {@link #clean()} is what the exit code reflects. */
    /**
     * @param untrusted
     *            with trusted keys given: records and receipts not signed by one of them, ignored, and dead letters
     *            refused for their signature (forgeries, which describe no file that was sent)
     */
    public record Report(int sent, int identical, List<Finding> findings, long stagedFiles, long quarantinedFiles,
            long topicRecords, long invalidRecords, long untrusted) {

        public boolean clean() {
            return findings.stream().noneMatch(f -> f.kind().isDifference);
        }

        public long count(Kind kind) {
            return findings.stream().filter(f -> f.kind() == kind).count();
        }
    }

    private final Map<String, Object> kafka;
    private final String topic;
    private final String receiptsTopic;
    private final String deadLetterTopic;
    private final Duration timeout;
    private KeyRing keys;

    /** Checks against {@code topic}, its receipts and its dead letters ({@code topic-dlq}). */
    public Verifier(Map<String, Object> kafka, String topic, String receiptsTopic, Duration timeout) {
        this(kafka, topic, receiptsTopic, topic + "-dlq", timeout);
    }

    public Verifier(Map<String, Object> kafka, String topic, String receiptsTopic, String deadLetterTopic,
            Duration timeout) {
        this.kafka = kafka;
        this.topic = topic;
        this.receiptsTopic = receiptsTopic;
        this.deadLetterTopic = deadLetterTopic;
        this.timeout = timeout;
    }

    /**
     * Believes only records and receipts signed by a key {@code keys} trusts (as a consumer requiring signatures), and
     * opens sealed ones with the keys it opens with.
     */
    public Verifier trusting(KeyRing keys) {
        this.keys = keys;
        return this;
    }

    public Optional<KeyRing> keys() {
        return Optional.ofNullable(keys);
    }

    /**
     * Receipts of this topic as their consumer wrote them: sealed ones opened with the keys given.
     *
     * @throws IOException
     *             if one of them cannot be opened: where its file went is unknown, so nothing can be checked
     */
    private Map<String, Receipt> opened(Map<String, Receipt> receipts) throws IOException {
        Map<String, Receipt> opened = new HashMap<>();
        long sealed = 0;
        for (Map.Entry<String, Receipt> e : receipts.entrySet()) {
            Receipt r = e.getValue();
            Optional<Receipt> plain = keys == null ? Optional.of(r).filter(x -> x.sealed() == null)
                    : SealedReceipts.open(r, keys::openingKey);
            boolean thisTopic = r.topic() == null || r.topic().equals(topic);
            if (plain.isEmpty() && thisTopic) {
                sealed++;
            }
            opened.put(e.getKey(), plain.orElse(r));
        }
        if (sealed > 0) {
            throw new IOException(sealed + " receipts of " + topic + " are sealed with keys not given (end-to-end "
                    + "encryption): pass the route keys with --decryption-keys");
        }
        return opened;
    }

    public Report verify(Path outbox, boolean receiptsOnly) throws IOException {
        Map<String, Receipt> receipts;
        long[] untrusted = { 0 };
        try (KafkaReceipts table = new KafkaReceipts(kafka, receiptsTopic, "ferry-verify", false, id -> true,
                timeout)) {
            if (keys != null) {
                table.signedWith(keys, reason -> untrusted[0]++);
            }
            table.refresh();
            receipts = opened(table.all());
        }
        SentTransfers topicView = receiptsOnly ? new SentTransfers() : SentTransfers.read(kafka, topic, timeout, keys);
        untrusted[0] += topicView.untrusted;
        if (topicView.sealedWithoutKey > 0) {
            throw new IOException(topicView.sealedWithoutKey + " records of " + topic + " are sealed with keys not "
                    + "given (end-to-end encryption): pass the route keys with --decryption-keys");
        }

        // Expected: what the topic says was sent, plus deliveries whose chunks have aged out of it.
        Map<String, SentTransfers.Sent> sent = new HashMap<>(topicView.sent);
        receipts.forEach((id, r) -> {
            // Routes share the receipts topic: only receipts of this topic's transfers describe this outbox.
            boolean thisTopic = r.topic() == null || r.topic().equals(topic);
            if (thisTopic && !sent.containsKey(id) && r.outcome() == Receipt.Outcome.DELIVERED && r.sha256() != null) {
                sent.put(id, new SentTransfers.Sent(id, r.attempt(), r.path(), r.size(), r.sha256()));
            }
        });

        Map<String, Path> files = outboxFiles(outbox);
        Map<String, String> hashes = new HashMap<>();
        List<Finding> findings = new ArrayList<>();
        Set<String> accounted = new HashSet<>();
        int identical = 0;

        // The latest delivery to a path is the one expected there; earlier ones were replaced.
        Map<String, List<SentTransfers.Sent>> byTarget = new TreeMap<>();
        for (SentTransfers.Sent s : sent.values()) {
            Receipt r = receipts.get(s.transferId());
            if (r != null && r.outcome() == Receipt.Outcome.SKIPPED) {
                findings.add(new Finding(Kind.SKIPPED, s.path(), "transfer " + s.transferId()));
                continue;
            }
            if (r != null && r.outcome() == Receipt.Outcome.QUARANTINED && r.attempt() >= s.attempt()) {
                findings.add(new Finding(Kind.QUARANTINED, s.path(), "transfer " + s.transferId() + ": " + r.reason()));
                continue;
            }
            String target = r != null && r.outcome() == Receipt.Outcome.DELIVERED && r.target() != null ? r.target()
                    : s.path();
            byTarget.computeIfAbsent(target, t -> new ArrayList<>()).add(s);
        }
        for (Map.Entry<String, List<SentTransfers.Sent>> e : byTarget.entrySet()) {
            String target = e.getKey();
            List<SentTransfers.Sent> candidates = e.getValue();
            candidates.sort(Comparator.comparing(s -> receiptTime(receipts.get(s.transferId()))));
            SentTransfers.Sent expected = candidates.get(candidates.size() - 1);
            for (SentTransfers.Sent older : candidates.subList(0, candidates.size() - 1)) {
                boolean same = older.size() == expected.size() && older.sha256().equals(expected.sha256());
                findings.add(same
                        ? new Finding(Kind.RESENT, target,
                                "transfer " + older.transferId() + ", sent again as " + expected.transferId())
                        : new Finding(Kind.REPLACED, target,
                                "transfer " + older.transferId() + " replaced by " + expected.transferId()));
            }
            Path file = files.get(target);
            boolean receipted = receipts.containsKey(expected.transferId())
                    && receipts.get(expected.transferId()).outcome() == Receipt.Outcome.DELIVERED;
            if (file == null) {
                findings.add(new Finding(Kind.MISSING, target, "transfer " + expected.transferId() + ", "
                        + expected.size() + " bytes" + (receipted ? ", although its receipt says delivered" : "")));
                continue;
            }
            accounted.add(target);
            String sha = hash(file, hashes, target);
            long size = Files.size(file);
            if (size != expected.size() || !sha.equals(expected.sha256())) {
                findings.add(new Finding(Kind.MISMATCHED, target, "expected " + expected.size() + " bytes sha256 "
                        + expected.sha256() + ", found " + size + " bytes sha256 " + sha));
                continue;
            }
            identical++;
            if (!receipted) {
                findings.add(new Finding(Kind.NO_RECEIPT, target, "transfer " + expected.transferId()));
            }
        }

        // Everything else in the outbox is a second copy of something sent, or foreign.
        Map<String, String> sentBySha = new HashMap<>();
        sent.values().forEach(s -> sentBySha.put(s.size() + ":" + s.sha256(), s.path()));
        Set<Long> sentSizes = new HashSet<>();
        sent.values().forEach(s -> sentSizes.add(s.size()));
        for (Map.Entry<String, Path> f : files.entrySet()) {
            if (accounted.contains(f.getKey())) {
                continue;
            }
            long size = Files.size(f.getValue());
            String original = sentSizes.contains(size)
                    ? sentBySha.get(size + ":" + hash(f.getValue(), hashes, f.getKey()))
                    : null;
            findings.add(original != null ? new Finding(Kind.DUPLICATE, f.getKey(), "same content as " + original)
                    : new Finding(Kind.EXTRA, f.getKey(), size + " bytes, sent by nobody"));
        }
        if (!receiptsOnly) {
            // Refused records of this topic whose transfer was not delivered after all: sent, never to arrive.
            DeadLetterRecords dead = DeadLetterRecords.read(kafka, deadLetterTopic, timeout);
            untrusted[0] += dead.forged;
            for (DeadLetterRecords.DeadLetter d : dead.kept) {
                boolean thisTopic = d.sourceTopic() == null || d.sourceTopic().equals(topic);
                Receipt r = receipts.get(d.key());
                if (thisTopic && (r == null || !r.outcome().isFinal())) {
                    String key = RelativePaths.printable(d.key());
                    findings.add(new Finding(Kind.DEAD_LETTERED, d.path() != null ? d.path() : key,
                            "record " + key + " refused: " + d.reason()));
                }
            }
            if (dead.total > dead.kept.size()) {
                findings.add(new Finding(Kind.DEAD_LETTERED, "(more)",
                        (dead.total - dead.kept.size()) + " more dead letters not listed"));
            }
        }
        topicView.unfinished.values().stream().filter(u -> !sent.containsKey(u.transferId()))
                .forEach(u -> findings.add(new Finding(u.aborted() ? Kind.ABANDONED : Kind.UNFINISHED, u.path(),
                        "transfer " + u.transferId() + ": " + u.chunks() + " of " + u.count() + " chunks in the topic"
                                + (u.aborted() ? ", then aborted by the producer" : ""))));
        findings.sort(Comparator.comparing((Finding f) -> f.kind()).thenComparing(Finding::path));
        return new Report(sent.size(), identical, findings, countFiles(outbox.resolve(".ferry/staging")),
                countFiles(outbox.resolve(".ferry/quarantine")), topicView.records, topicView.invalid, untrusted[0]);
    }

    private static String receiptTime(Receipt r) {
        return r == null || r.time() == null ? "" : r.time().toString();
    }

    private static String hash(Path file, Map<String, String> cache, String key) throws IOException {
        String known = cache.get(key);
        if (known == null) {
            known = HexFormat.of().formatHex(Hashing.sha256(file));
            cache.put(key, known);
        }
        return known;
    }

    /** Regular files below the outbox by relative path, leaving out Ferry's own {@code .ferry} folder. */
    private static Map<String, Path> outboxFiles(Path outbox) throws IOException {
        Map<String, Path> files = new TreeMap<>();
        if (!Files.isDirectory(outbox)) {
            throw new IOException("outbox " + outbox + " is not a folder");
        }
        Files.walkFileTree(outbox, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                return dir.equals(outbox.resolve(".ferry")) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    files.put(outbox.relativize(file).toString().replace(File.separatorChar, '/'), file);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return files;
    }

    private static long countFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (var all = Files.walk(dir)) {
            return all.filter(Files::isRegularFile).count();
        }
    }
}
