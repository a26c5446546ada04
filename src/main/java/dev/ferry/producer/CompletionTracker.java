package dev.ferry.producer;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Decides when a file is finished: the one place that answers "may this file be sent now?".
 * <p>
 * In {@code settle} mode a file is finished once the same {@link FileState} has been seen for the settle time (a writer
 * that is still appending changes size or modification time) and no process on this host holds it open for writing
 * ({@link OpenWriters}): a local writer that pauses longer than the settle time is not cut short. In {@code marker}
 * mode a file is finished when {@code NAME.done} exists next to it, for writers that can promise it. Writers that write
 * {@code NAME.part} and rename are safe in both modes, since {@code *.part} is excluded until the rename.
 * <p>
 * Each finished state is reported once; {@link #forget} makes a path eligible again (after a failed attempt).
 */
final class CompletionTracker {

    static final String MARKER_SUFFIX = ".done";

    private final long settleNanos;
    private final boolean marker;
    private final Supplier<Set<Object>> openForWriting;
    /** Every file of the inbox seen, reported or not: a reported file that changes is reported again. */
    private final Map<String, Observation> observed = new HashMap<>();
    /**
     * The files of {@link #observed} not reported yet, the only ones a round looks at: files kept in the inbox after
     * they were sent (thousands of them, or 100,000) cost a round nothing.
     */
    private final Map<String, Observation> settling = new HashMap<>();

    CompletionTracker(long settleNanos, boolean marker) {
        this(settleNanos, marker, OpenWriters::fileKeys);
    }

    /**
     * @param openForWriting
     *            file keys of the files some process holds open for writing; asked once per round that has settled
     *            files
     */
    CompletionTracker(long settleNanos, boolean marker, Supplier<Set<Object>> openForWriting) {
        this.settleNanos = settleNanos;
        this.marker = marker;
        this.openForWriting = openForWriting;
    }

    /**
     * Takes a full scan of the inbox and returns the files that became finished.
     *
     * @param complete
     *            true if {@code scan} lists every file; paths missing from a complete scan are forgotten
     */
    synchronized List<FileState> observe(Map<String, FileState> scan, boolean complete, long nowNanos) {
        if (complete) {
            observed.keySet().retainAll(scan.keySet());
            settling.keySet().retainAll(scan.keySet());
        }
        for (FileState state : scan.values()) {
            Observation o = observed.get(state.relativePath());
            if (o == null || !o.state.equals(state)) {
                Observation changed = new Observation(state, nowNanos);
                observed.put(state.relativePath(), changed);
                settling.put(state.relativePath(), changed);
            }
        }
        return finished(nowNanos);
    }

    /** Re-reads the files still settling, without walking the tree. */
    synchronized List<FileState> recheck(Path inbox, long nowNanos) {
        for (Iterator<Map.Entry<String, Observation>> it = settling.entrySet().iterator(); it.hasNext();) {
            Map.Entry<String, Observation> e = it.next();
            Observation o = e.getValue();
            FileState now = FileState.read(inbox, o.state.file());
            if (now == null) {
                it.remove();
                observed.remove(e.getKey());
            } else if (!now.equals(o.state)) {
                o.state = now;
                o.since = nowNanos;
            }
        }
        return finished(nowNanos);
    }

    /** Makes a path eligible again, e.g. after a failed attempt; it settles anew. */
    synchronized void forget(String relativePath) {
        observed.remove(relativePath);
        settling.remove(relativePath);
    }

    synchronized boolean hasUnsettled() {
        return !settling.isEmpty();
    }

    /** Files seen and not yet reported finished: what the next round looks at. */
    synchronized int settlingCount() {
        return settling.size();
    }

    private List<FileState> finished(long nowNanos) {
        List<Observation> settled = new ArrayList<>();
        for (Observation o : settling.values()) {
            if (isFinished(o, nowNanos)) {
                settled.add(o);
            }
        }
        Set<Object> writing = settled.isEmpty() || marker ? Set.of() : openForWriting.get();
        List<FileState> ready = new ArrayList<>();
        for (Observation o : settled) {
            if (o.state.fileKey() != null && writing.contains(o.state.fileKey())) {
                // Quiet, but a writer still holds it: it settles anew once the writer closes it.
                o.since = nowNanos;
                continue;
            }
            settling.remove(o.state.relativePath());
            ready.add(o.state);
        }
        return ready;
    }

    private boolean isFinished(Observation o, long nowNanos) {
        if (marker) {
            return Files.exists(markerOf(o.state.file()), LinkOption.NOFOLLOW_LINKS);
        }
        return nowNanos - o.since >= settleNanos;
    }

    static Path markerOf(Path file) {
        return file.resolveSibling(file.getFileName() + MARKER_SUFFIX);
    }

    private static final class Observation {
        FileState state;
        long since;

        Observation(FileState state, long since) {
            this.state = state;
            this.since = since;
        }
    }
}
