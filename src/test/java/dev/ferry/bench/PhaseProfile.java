package dev.ferry.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a Ferry process spent the measured phase of a benchmark run, and nothing else (not its start, not the warm-up):
 * <ul>
 * <li>{@code -Dbench.threads=true}: CPU seconds by thread, user and system apart, read from {@code /proc} at the start
 * and the end of the phase; threads are named by their Java names (from {@code jcmd Thread.print}), since the kernel
 * keeps only 15 characters ("ferry-consumer-" would be every consumer thread).
 * <li>{@code -Dbench.perf=true}: also {@code perf record} of the process during the phase, and the kernel functions
 * that took the most samples (the system time above; Java frames are not resolved by perf).
 * <li>{@code -Dbench.jfr=true}: also a flight recording of just that phase, summarised by {@link JfrSummary}. Starting
 * a recording in a running JVM deoptimises code and makes the JIT and the collector work for a while: take the CPU
 * figures from a run without it.
 * </ul>
 */
final class PhaseProfile {

    private final String role;
    private final long pid;
    private final Path recording;
    private final Path perfData;
    private final Process perf;
    private final Map<String, double[]> cpuAtStart;

    private PhaseProfile(String role, long pid, Path recording, Path perfData) throws IOException {
        this.role = role;
        this.pid = pid;
        this.recording = recording;
        this.perfData = perfData;
        this.perf = perfData == null ? null
                : new ProcessBuilder("perf", "record", "-q", "-g", "-p", Long.toString(pid), "-o", perfData.toString())
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        this.cpuAtStart = threadCpu(pid);
    }

    /**
     * Starts profiling process {@code pid} if asked to; returns null otherwise.
     *
     * @param files
     *            where its recordings go: {@code files.jfr}, {@code files.perf}
     */
    static PhaseProfile startIfAsked(String role, long pid, Path files) throws IOException, InterruptedException {
        boolean jfr = Boolean.getBoolean("bench.jfr") && pid != ProcessHandle.current().pid(); // jcmd: not itself
        boolean perf = Boolean.getBoolean("bench.perf");
        if (!jfr && !perf && !Boolean.getBoolean("bench.threads")) {
            return null;
        }
        Path recording = files.resolveSibling(files.getFileName() + ".jfr");
        if (jfr) {
            jcmd(pid, "JFR.start", "name=phase", "settings=profile", "filename=" + recording.toAbsolutePath());
        }
        return new PhaseProfile(role, pid, jfr ? recording : null,
                perf ? files.resolveSibling(files.getFileName() + ".perf") : null);
    }

    /** Stops the recording and prints where the phase's CPU went. */
    void stopAndPrint() throws IOException, InterruptedException {
        Map<String, double[]> now = threadCpu(pid);
        if (perf != null) {
            new ProcessBuilder("kill", "-INT", Long.toString(perf.pid())).start().waitFor();
            perf.waitFor();
        }
        // jcmd may not attach to its own JVM (the broker's and the benchmark's): there the kernel's names stand.
        Map<String, String> javaNames = pid == ProcessHandle.current().pid() ? Map.of() : javaThreadNames(pid);
        Map<String, Double> spent = new TreeMap<>();
        double total = 0;
        for (Map.Entry<String, double[]> t : now.entrySet()) {
            double[] before = cpuAtStart.getOrDefault(t.getKey(), new double[2]);
            String tid = t.getKey().substring(0, t.getKey().indexOf(' '));
            String name = javaNames.getOrDefault(tid, t.getKey().substring(t.getKey().indexOf(' ') + 1));
            double user = t.getValue()[0] - before[0];
            double system = t.getValue()[1] - before[1];
            spent.merge(name + " (user)", user, Double::sum);
            spent.merge(name + " (system)", system, Double::sum);
            total += user + system;
        }
        System.out.printf("CPU seconds by thread in the measured phase, %s (%.1f s in all):%n", role, total);
        spent.entrySet().stream().filter(e -> e.getValue() >= 0.01)
                .sorted(Map.Entry.<String, Double> comparingByValue().reversed()).limit(14)
                .forEach(e -> System.out.printf("  %6.2f  %s%n", e.getValue(), e.getKey()));
        if (perfData != null) {
            printKernelTop();
        }
        if (recording != null) {
            jcmd(pid, "JFR.stop", "name=phase");
            JfrSummary.print(recording, System.out);
        }
    }

    /** The kernel functions with the most samples, each with its own share of all the process's samples. */
    private void printKernelTop() throws IOException, InterruptedException {
        Process report = new ProcessBuilder("perf", "report", "-i", perfData.toString(), "--stdio", "--no-children",
                "--sort", "sym", "-g", "none", "--percent-limit", "1").redirectErrorStream(true).start();
        String out = new String(report.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        report.waitFor();
        System.out.println("perf samples by function, " + role + " ([k] kernel, [.] user space; Java code is unresolved"
                + " hex):");
        out.lines().filter(l -> l.contains("[k]") || l.contains("[.]")).limit(20)
                .forEach(l -> System.out.println("  " + l.strip()));
    }

    /** A pool's threads counted together: "ferry-consumer-lane-3" and "-1", "GC Thread#0" and "#1" are one name. */
    static String poolName(String thread) {
        return thread.replaceAll("[0-9]+$", "#").replaceAll("-[0-9]+-", "-#-");
    }

    /** Kernel thread id to Java thread name, pool numbers replaced by #. */
    private static Map<String, String> javaThreadNames(long pid) throws IOException, InterruptedException {
        Map<String, String> names = new HashMap<>();
        Matcher m = Pattern.compile("^\"(.*)\" .* nid=(0x[0-9a-f]+|[0-9]+) ", Pattern.MULTILINE)
                .matcher(jcmd(pid, "Thread.print"));
        while (m.find()) {
            String nid = m.group(2);
            long tid = nid.startsWith("0x") ? Long.parseLong(nid.substring(2), 16) : Long.parseLong(nid);
            names.put(Long.toString(tid), poolName(m.group(1)));
        }
        return names;
    }

    /**
     * CPU seconds the JIT compiler threads of process {@code pid} have used so far. A compiler thread that has ended
     * takes its time with it; on a machine of few cores the JVM keeps its minimum of one C1 and one C2 thread, which
     * never end.
     */
    static double compilerCpu(long pid) throws IOException {
        double seconds = 0;
        for (Map.Entry<String, double[]> t : threadCpu(pid).entrySet()) {
            if (t.getKey().contains(" C1 CompilerThre") || t.getKey().contains(" C2 CompilerThre")) {
                seconds += t.getValue()[0] + t.getValue()[1];
            }
        }
        return seconds;
    }

    /** Per thread ("tid name", pools' numbers replaced by #): user and system seconds so far. */
    private static Map<String, double[]> threadCpu(long pid) throws IOException {
        Map<String, double[]> cpu = new HashMap<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (NoSuchFileException e) {
                    continue; // the thread ended meanwhile
                }
                String name = poolName(stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                cpu.put(task.getFileName() + " " + name,
                        new double[] { Long.parseLong(fields[11]) / 100.0, Long.parseLong(fields[12]) / 100.0 });
            }
        }
        return cpu;
    }

    private static String jcmd(long pid, String... command) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>();
        args.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
        args.add(Long.toString(pid));
        args.addAll(List.of(command));
        Process p = new ProcessBuilder(args).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("jcmd " + String.join(" ", command) + " failed: " + output);
        }
        return output;
    }
}
