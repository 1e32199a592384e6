package io.github.dropitjvm.train.run;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Per-epoch progress: a redrawn bar (images/s, loss, ETA) on a terminal, or a plain line every tenth of an epoch
 * (and at least every 30 s) when the output is a file or a pipe.
 */
public final class Progress {
    private final PrintWriter out;
    private final boolean terminal;
    private final int batches;
    private long lastLine;
    private int lastPrintedBatch = -1;

    public Progress(PrintWriter out, boolean terminal, int batchesPerEpoch) {
        this.out = out;
        this.terminal = terminal;
        this.batches = batchesPerEpoch;
    }

    /** After batch {@code index} (0-based) of {@code epoch}; {@code secondsLeft} is the epoch's ETA. */
    public void update(int epoch, int epochs, int index, double loss, double imagesPerSecond, double secondsLeft) {
        int done = index + 1;
        if (terminal) {
            int width = 30, fill = (int) ((long) done * width / batches);
            String bar = "=".repeat(fill) + (fill < width ? ">" + " ".repeat(width - fill - 1) : "");
            out.printf(Locale.ROOT, "\repoch %d/%d [%s] %d/%d  loss %.4f  %.0f img/s  ETA %s ", epoch + 1, epochs, bar,
                    done, batches, loss, imagesPerSecond, time(secondsLeft));
            out.flush();
            return;
        }
        long now = System.nanoTime();
        int every = Math.max(1, batches / 10);
        if (done % every == 0 || done == batches || now - lastLine > 30_000_000_000L) {
            if (done == lastPrintedBatch) return;
            out.printf(Locale.ROOT, "epoch %d/%d  batch %d/%d  loss %.4f  %.1f img/s  ETA %s%n", epoch + 1, epochs, done,
                    batches, loss, imagesPerSecond, time(secondsLeft));
            out.flush();
            lastLine = now;
            lastPrintedBatch = done;
        }
    }

    /** Ends the bar's line (terminal only). */
    public void endEpoch() {
        if (terminal) {
            out.println();
            out.flush();
        }
        lastPrintedBatch = -1;
    }

    public static String time(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) return "?";
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
