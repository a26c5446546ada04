package dev.ferry.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import dev.ferry.verify.Verifier;

/**
 * One line per scenario run, in {@code target/faults/summary.md} and on standard output: what was injected and what the
 * outbox held afterwards. {@code faults/run.sh} prints the table.
 */
final class FaultSummary {

    static final Path FILE = Path.of("target", "faults", "summary.md");
    private static final String HEADER = "| scenario | faults injected | files sent | delivered | identical | duplicates "
            + "| partials | other violations | verify | seconds |\n|---|---|---|---|---|---|---|---|---|---|\n";

    private FaultSummary() {
    }

    static String record(FaultRig rig, String scenario, String faults, Verifier.Report report) throws IOException {
        return record(rig, scenario, faults, report, report.clean() ? "clean" : "DIFFERENCES");
    }

    /**
     * @param verdict
     *            what verify found, when some difference is the expected outcome
     */
    static String record(FaultRig rig, String scenario, String faults, Verifier.Report report, String verdict)
            throws IOException {
        long partials = rig.watch.violations().stream().filter(v -> v.startsWith("partial")).count();
        long other = rig.watch.violations().size() - partials;
        long delivered = rig.expected.keySet().stream().filter(p -> Files.exists(rig.outbox.resolve(p))).count();
        String row = String.format("| %s | %s | %d | %d | %d | %d | %d | %d | %s | %.0f |%n", scenario, faults,
                rig.expected.size(), delivered, rig.identicalFiles(), report.count(Verifier.Kind.DUPLICATE), partials,
                other, verdict, rig.seconds());
        try {
            Files.createDirectories(FILE.getParent());
            if (!Files.exists(FILE)) {
                Files.writeString(FILE, HEADER, StandardCharsets.UTF_8);
            }
            Files.writeString(FILE, row, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.out.print("FAULT SUMMARY " + row);
        return row;
    }
}
