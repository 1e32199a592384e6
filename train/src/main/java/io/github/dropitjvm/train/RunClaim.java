package io.github.dropitjvm.train;

import io.github.dropitjvm.train.run.Trainer;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * One process's claim on one run directory: an OS file lock on its {@code .lock} ({@link Trainer#LOCK_FILE}).
 * {@code dropit train} and {@code dropit compare} take it before they touch a run, so two processes never train the
 * same run at once. The OS drops the lock when its process ends, however it ends (kill -9 included), so a claim never
 * outlives its holder and needs no clean-up. The empty lock file stays with the run: deleting it while another process
 * waits on it would let two processes each lock a different file of the same name. (Only {@code train}, when the new
 * run it claimed never started, removes the lock file with the directory it made.)
 */
final class RunClaim implements AutoCloseable {
    /** How often a waiting process retries; runs take minutes to hours. */
    private static final long POLL_MS = 2_000;

    private final FileChannel channel;
    private final FileLock lock;

    private RunClaim(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Claims run directory {@code runDir}, creating it if need be. When another process holds it: returns null at
     * once, or, with {@code wait}, says so on {@code o} and retries until the holder lets go.
     */
    static RunClaim take(Path runDir, boolean wait, PrintWriter o) throws IOException {
        Files.createDirectories(runDir);
        Path file = runDir.resolve(Trainer.LOCK_FILE);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            for (boolean told = false; ; told = true) {
                FileLock l = tryLock(ch);
                if (l != null) return new RunClaim(ch, l);
                if (!wait) {
                    ch.close();
                    return null;
                }
                if (!told) {
                    o.printf(Locale.ROOT, "   waiting for the process training %s to finish or stop%n", runDir.getFileName());
                    o.flush();
                }
                Thread.sleep(POLL_MS);
            }
        } catch (InterruptedException e) {
            ch.close();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the claim on " + file);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static FileLock tryLock(FileChannel ch) throws IOException {
        try {
            return ch.tryLock();
        } catch (OverlappingFileLockException e) {
            return null; // held inside this JVM, by another thread's claim
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
