package dev.ferry.verify;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import dev.ferry.trust.KeyRing;
import dev.ferry.trust.SealingKey;
import dev.ferry.trust.TrustedKeys;

/**
 * {@code verify}: checks an outbox against the topics and exits non-zero on any difference. Runs without starting
 * Ferry, from the packaged application:
 *
 * <pre>
 * java -jar quarkus-run.jar verify --outbox /data/outbox --bootstrap-server kafka:9092 [--topic ferry-chunks]
 *      [--receipts-topic ferry-chunks-receipts] [--command-config client.properties] [--receipts-only]
 *      [--trusted-keys /etc/ferry/trusted] [--decryption-keys /etc/ferry/route-keys]
 * </pre>
 *
 * With {@code --trusted-keys} (default {@code FERRY_TRUSTED_KEYS}), only records and receipts signed by one of those
 * keys count, as in a consumer that requires signatures: forgeries in the topics are counted, never expected. Defaults
 * With {@code --decryption-keys} (default {@code FERRY_DECRYPTION_KEYS} and {@code FERRY_ENCRYPTION_KEY}; files or
 * folders, comma-separated), sealed records and receipts are opened; without the keys a sealed topic cannot be checked
 * (exit 3, saying so). Defaults come from the same environment variables as Ferry's settings ({@code FERRY_OUTBOX},
 * {@code FERRY_TOPIC}, {@code FERRY_RECEIPTS_TOPIC}, {@code KAFKA_BOOTSTRAP_SERVERS}), so inside a consumer pod it
 * needs no argument. {@code --command-config} takes Kafka client properties (TLS, SASL), as Kafka's own tools do.
 */
public final class VerifyCommand {

    static final int CLEAN = 0;
    static final int DIFFERENCES = 1;
    static final int USAGE = 2;
    static final int CANNOT_CHECK = 3;

    private VerifyCommand() {
    }

    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        Map<String, String> options = new HashMap<>();
        boolean receiptsOnly = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--receipts-only")) {
                receiptsOnly = true;
            } else if (arg.equals("--help") || arg.equals("-h")) {
                usage(out);
                return CLEAN;
            } else if (arg.startsWith("--") && i + 1 < args.length && isOption(arg)) {
                options.put(arg, args[++i]);
            } else {
                err.println("verify: unknown or incomplete argument " + arg);
                usage(err);
                return USAGE;
            }
        }
        String outbox = options.getOrDefault("--outbox", env.get("FERRY_OUTBOX"));
        String bootstrap = options.getOrDefault("--bootstrap-server", env.get("KAFKA_BOOTSTRAP_SERVERS"));
        String topic = options.getOrDefault("--topic", env.getOrDefault("FERRY_TOPIC", "ferry-chunks"));
        // Every route shares the receipts topic of ferry.topic (FERRY_TOPIC), whichever route's --topic is checked.
        String receipts = options.getOrDefault("--receipts-topic",
                env.getOrDefault("FERRY_RECEIPTS_TOPIC", env.getOrDefault("FERRY_TOPIC", topic) + "-receipts"));
        String deadLetters = options.getOrDefault("--dead-letter-topic",
                env.getOrDefault("FERRY_DEAD_LETTER_TOPIC", topic + "-dlq"));
        if (outbox == null || bootstrap == null) {
            err.println("verify: " + (outbox == null ? "--outbox (or FERRY_OUTBOX)"
                    : "--bootstrap-server " + "(or KAFKA_BOOTSTRAP_SERVERS)") + " is required");
            usage(err);
            return USAGE;
        }
        Map<String, Object> kafka = new HashMap<>();
        try {
            if (options.containsKey("--command-config")) {
                Properties props = new Properties();
                try (InputStream in = Files.newInputStream(Path.of(options.get("--command-config")))) {
                    props.load(in);
                }
                props.forEach((k, v) -> kafka.put(k.toString(), v));
            }
            kafka.put("bootstrap.servers", bootstrap);
            Duration timeout = Duration.ofSeconds(Long.parseLong(options.getOrDefault("--timeout-seconds", "60")));
            Verifier verifier = new Verifier(kafka, topic, receipts, deadLetters, timeout);
            String trusted = options.getOrDefault("--trusted-keys", env.get("FERRY_TRUSTED_KEYS"));
            if (trusted != null) {
                KeyRing keys = new KeyRing();
                keys.use(Optional.empty(),
                        TrustedKeys.read(Arrays.stream(trusted.split(",")).map(String::trim).map(Path::of).toList()),
                        true);
                verifier.trusting(keys);
            }
            List<Path> opening = new ArrayList<>();
            for (String list : new String[] {
                    options.getOrDefault("--decryption-keys", env.get("FERRY_DECRYPTION_KEYS")),
                    env.get("FERRY_ENCRYPTION_KEY") }) {
                if (list != null && !list.isBlank()) {
                    Arrays.stream(list.split(",")).map(String::trim).map(Path::of).forEach(opening::add);
                }
            }
            if (!opening.isEmpty()) {
                List<SealingKey> sealingKeys = new ArrayList<>();
                for (Path p : opening) {
                    sealingKeys.addAll(SealingKey.readAll(p));
                }
                KeyRing keys = verifier.keys().orElseGet(KeyRing::new);
                keys.useSealing(Optional.empty(), sealingKeys);
                verifier.trusting(keys);
            }
            Verifier.Report report = verifier.verify(Path.of(outbox), receiptsOnly);
            print(report, outbox, topic, receiptsOnly, out);
            return report.clean() ? CLEAN : DIFFERENCES;
        } catch (IOException | RuntimeException e) {
            err.println("verify: cannot check " + outbox + " against " + topic + " at " + bootstrap + ": " + e);
            return CANNOT_CHECK;
        }
    }

    private static boolean isOption(String arg) {
        return switch (arg) {
            case "--outbox", "--bootstrap-server", "--topic", "--receipts-topic", "--dead-letter-topic",
                    "--command-config", "--timeout-seconds", "--trusted-keys", "--decryption-keys" -> true;
            default -> false;
        };
    }

    static void print(Verifier.Report r, String outbox, String topic, boolean receiptsOnly, PrintStream out) {
        out.printf("Ferry verify: %s against %s%s%n", outbox, receiptsOnly ? "receipts only" : topic,
                receiptsOnly ? "" : " and its receipts");
        out.printf("  sent %d, identical %d, missing %d, mismatched %d, duplicates %d, extra %d, dead-lettered %d%n",
                r.sent(), r.identical(), r.count(Verifier.Kind.MISSING), r.count(Verifier.Kind.MISMATCHED),
                r.count(Verifier.Kind.DUPLICATE), r.count(Verifier.Kind.EXTRA), r.count(Verifier.Kind.DEAD_LETTERED));
        out.printf(
                "  no receipt %d, re-sent identical copies %d, replaced %d, skipped %d, quarantined %d, still sending "
                        + "%d, abandoned attempts %d; staged files %d, quarantine files %d; topic records %d "
                        + "(%d invalid)%n",
                r.count(Verifier.Kind.NO_RECEIPT), r.count(Verifier.Kind.RESENT), r.count(Verifier.Kind.REPLACED),
                r.count(Verifier.Kind.SKIPPED), r.count(Verifier.Kind.QUARANTINED), r.count(Verifier.Kind.UNFINISHED),
                r.count(Verifier.Kind.ABANDONED), r.stagedFiles(), r.quarantinedFiles(), r.topicRecords(),
                r.invalidRecords());
        if (r.untrusted() > 0) {
            out.printf("  ignored as forged (not signed by a trusted key): %d records, receipts and dead letters%n",
                    r.untrusted());
        }
        for (Verifier.Finding f : r.findings()) {
            out.printf("  %-25s %s  (%s)%n", f.kind().label, f.path(), f.detail());
        }
        out.println(r.clean() ? "OK: the outbox holds exactly what was sent" : "DIFFERENCES FOUND");
    }

    private static void usage(PrintStream out) {
        out.println("usage: verify [--outbox DIR] [--bootstrap-server HOST:PORT] [--topic T] [--receipts-topic T]");
        out.println("              [--dead-letter-topic T] [--command-config FILE] [--receipts-only]");
        out.println("              [--timeout-seconds N] [--trusted-keys FILE_OR_DIR[,...]]");
        out.println("              [--decryption-keys FILE_OR_DIR[,...]]");
        out.println("what it reports, per file (* is a difference: exit status 1):");
        for (Verifier.Kind kind : Verifier.Kind.values()) {
            out.printf("  %s %-25s %s%n", kind.isDifference ? "*" : " ", kind.label, kind.meaning);
        }
        out.println("exit status: 0 identical, 1 differences found, 2 bad arguments, 3 could not check");
    }
}
