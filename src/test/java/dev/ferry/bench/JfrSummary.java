package dev.ferry.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a Ferry process's threads were, from a flight recording: for each thread (numbered threads of a pool counted
 * together) the share of samples, the methods at the top of the stack, and the innermost Ferry method on it, so a
 * reader sees both what burns the CPU (a digest, a copy, a system call) and which of Ferry's steps asked for it.
 * <p>
 * Java samples are threads running Java code; native samples are threads inside a native method, which for Ferry's
 * threads means a system call ({@code pwrite}, {@code fsync}, {@code read}); threads waiting for work there
 * ({@code epoll_wait}, a watch service, a park) are left out. The CPU seconds by thread come from {@code /proc} (see
 * {@link PhaseProfile}). Run alone: {@code java -cp target/test-classes dev.ferry.bench.JfrSummary
 * FILE.jfr}.
 */
public final class JfrSummary {

    private static final int THREADS = 6;
    private static final int METHODS = 8;

    private final Map<String, Map<String, Integer>> leaves = new HashMap<>();
    private final Map<String, Map<String, Integer>> ferryFrames = new HashMap<>();
    private final Map<String, Integer> byThread = new HashMap<>();
    private int samples;

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: JfrSummary FILE.jfr");
            System.exit(2);
        }
        print(Path.of(args[0]), System.out);
    }

    /** Prints the summary of the Java samples and of the native samples in {@code recording}. */
    static void print(Path recording, PrintStream out) throws IOException {
        JfrSummary java = new JfrSummary();
        JfrSummary nativeCalls = new JfrSummary();
        try (RecordingFile file = new RecordingFile(recording)) {
            while (file.hasMoreEvents()) {
                RecordedEvent e = file.readEvent();
                String type = e.getEventType().getName();
                if (type.equals("jdk.ExecutionSample")) {
                    java.add(e);
                } else if (type.equals("jdk.NativeMethodSample") && !waiting(e)) {
                    nativeCalls.add(e);
                }
            }
        }
        out.println("Flight recording " + recording.getFileName() + ": " + java.samples + " Java samples, "
                + nativeCalls.samples + " native samples");
        java.print("running Java", out);
        nativeCalls.print("in a native method (a system call; threads waiting for work left out)", out);
    }

    /** A thread parked in a wait for work (epoll, a watch service, a lock): where it is, not what it costs. */
    private static boolean waiting(RecordedEvent e) {
        RecordedStackTrace stack = e.getStackTrace();
        if (stack == null || stack.getFrames().isEmpty()) {
            return true;
        }
        String top = name(stack.getFrames().get(0));
        return top.endsWith("EPoll.wait") || top.endsWith("WatchService.poll") || top.endsWith("Unsafe.park")
                || top.endsWith("Object.wait") || top.endsWith("Thread.sleep") || top.endsWith("Net.accept");
    }

    private void add(RecordedEvent e) {
        RecordedStackTrace stack = e.getStackTrace();
        String thread = e.getThread("sampledThread") == null ? "?" : threadGroup(e.getThread("sampledThread"));
        if (stack == null || stack.getFrames().isEmpty()) {
            return;
        }
        samples++;
        byThread.merge(thread, 1, Integer::sum);
        List<RecordedFrame> frames = stack.getFrames();
        leaves.computeIfAbsent(thread, t -> new HashMap<>()).merge(name(frames.get(0)), 1, Integer::sum);
        String ferry = frames.stream().map(JfrSummary::name).filter(n -> n.startsWith("dev.ferry.")).findFirst()
                .orElse("(no Ferry frame)");
        ferryFrames.computeIfAbsent(thread, t -> new HashMap<>()).merge(ferry, 1, Integer::sum);
    }

    private void print(String what, PrintStream out) {
        if (samples == 0) {
            return;
        }
        out.println("Samples of threads " + what + ", by thread:");
        byThread.entrySet().stream().sorted(Map.Entry.<String, Integer> comparingByValue().reversed()).limit(THREADS)
                .forEach(t -> {
                    out.printf("  %5.1f%%  %s%n", 100.0 * t.getValue() / samples, t.getKey());
                    top(leaves.get(t.getKey()), t.getValue(), "top of stack", out);
                    top(ferryFrames.get(t.getKey()), t.getValue(), "innermost Ferry method", out);
                });
    }

    private static void top(Map<String, Integer> counts, int total, String label, PrintStream out) {
        out.println("           " + label + ":");
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer> comparingByValue().reversed()).limit(METHODS)
                .forEach(m -> out.printf("           %5.1f%%  %s%n", 100.0 * m.getValue() / total, m.getKey()));
    }

    private static String name(RecordedFrame frame) {
        RecordedMethod m = frame.getMethod();
        return m == null ? "?" : m.getType().getName() + "." + m.getName();
    }

    private static String threadGroup(jdk.jfr.consumer.RecordedThread thread) {
        String name = thread.getJavaName() != null ? thread.getJavaName() : thread.getOSName();
        return name == null ? "?" : PhaseProfile.poolName(name);
    }
}
