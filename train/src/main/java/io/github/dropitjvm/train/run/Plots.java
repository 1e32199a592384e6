package io.github.dropitjvm.train.run;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Small PNG charts drawn with Java2D (headless): line/scatter charts and grouped horizontal bars. */
public final class Plots {
    private Plots() {}

    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
            new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};

    /** One series: x and y of equal length; lines joins the points, otherwise markers only; err: ± bars (or null). */
    public record Series(String name, double[] x, double[] y, double[] err, boolean lines) {
        public Series(String name, double[] x, double[] y, boolean lines) {
            this(name, x, y, null, lines);
        }
    }

    public static void chart(Path file, String title, String xLabel, String yLabel, List<Series> series) throws IOException {
        int w = 900, h = 560, left = 90, right = 30, top = 50, bottom = 70;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = start(img, title);
        double x0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY, y0 = Double.POSITIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
        for (Series s : series)
            for (int i = 0; i < s.x.length; i++) {
                if (!Double.isFinite(s.x[i]) || !Double.isFinite(s.y[i])) continue;
                double e = s.err == null ? 0 : s.err[i];
                x0 = Math.min(x0, s.x[i]);
                x1 = Math.max(x1, s.x[i]);
                y0 = Math.min(y0, s.y[i] - e);
                y1 = Math.max(y1, s.y[i] + e);
            }
        if (x0 > x1) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
        if (x1 - x0 < 1e-12) { x0 -= 0.5; x1 += 0.5; }
        if (y1 - y0 < 1e-12) { y0 -= 0.5; y1 += 0.5; }
        double padX = (x1 - x0) * 0.04, padY = (y1 - y0) * 0.06;
        x0 -= padX; x1 += padX; y0 -= padY; y1 += padY;
        int pw = w - left - right, ph = h - top - bottom;
        g.setColor(Color.BLACK);
        g.drawRect(left, top, pw, ph);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        // Grid lines and labels at round values (1, 2 or 5 × 10^k apart) inside the padded data range, each label
        // exactly the value at its line: labels of evenly split ranges, rounded for print, misstate the scale.
        Scale xs = new Scale(x0, x1, pw), ys = new Scale(y0, y1, ph);
        double[] xt = ticks(x0, x1, 5), yt = ticks(y0, y1, 5);
        for (double xv : xt) {
            int px = left + xs.offset(xv);
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(px, top + 1, px, top + ph - 1);
            g.setColor(Color.BLACK);
            String label = tickLabel(xv, xt);
            g.drawString(label, px - g.getFontMetrics().stringWidth(label) / 2, top + ph + 18);
        }
        for (double yv : yt) {
            int py = top + ph - ys.offset(yv);
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(left + 1, py, left + pw - 1, py);
            g.setColor(Color.BLACK);
            String label = tickLabel(yv, yt);
            g.drawString(label, left - 8 - g.getFontMetrics().stringWidth(label), py + 4);
        }
        g.drawString(xLabel, left + pw / 2 - g.getFontMetrics().stringWidth(xLabel) / 2, h - 25);
        Graphics2D gy = (Graphics2D) g.create();
        gy.rotate(-Math.PI / 2);
        gy.drawString(yLabel, -(top + ph / 2) - g.getFontMetrics().stringWidth(yLabel) / 2, 20);
        gy.dispose();
        for (int si = 0; si < series.size(); si++) {
            Series s = series.get(si);
            g.setColor(COLORS[si % COLORS.length]);
            g.setStroke(new BasicStroke(1.6f));
            int prevX = 0, prevY = 0;
            boolean has = false;
            for (int i = 0; i < s.x.length; i++) {
                if (!Double.isFinite(s.x[i]) || !Double.isFinite(s.y[i])) { has = false; continue; }
                int px = left + xs.offset(s.x[i]);
                int py = top + ph - ys.offset(s.y[i]);
                if (s.lines && has) g.drawLine(prevX, prevY, px, py);
                if (!s.lines || s.x.length <= 60) g.fillOval(px - 3, py - 3, 7, 7);
                if (s.err != null && s.err[i] > 0) {
                    int e = (int) Math.round(s.err[i] / (y1 - y0) * ph);
                    g.drawLine(px, py - e, px, py + e);
                    g.drawLine(px - 4, py - e, px + 4, py - e);
                    g.drawLine(px - 4, py + e, px + 4, py + e);
                }
                prevX = px; prevY = py; has = true;
            }
            g.fillRect(left + 12, top + 12 + si * 18, 14, 10);
            g.setColor(Color.BLACK);
            g.drawString(s.name, left + 32, top + 22 + si * 18);
        }
        finish(g, img, file);
    }

    /** Data value → pixels from the plot area's edge along one axis; grid lines and data share it, so labels sit at their values. */
    private record Scale(double lo, double hi, int pixels) {
        int offset(double v) {
            return (int) Math.round((v - lo) / (hi - lo) * pixels);
        }
    }

    /** Horizontal grouped bars: one row per category, one bar per series (values ≥ 0). */
    public static void bars(Path file, String title, String valueLabel, List<String> categories, List<String> seriesNames,
                            List<double[]> values) throws IOException {
        int row = 8 + 9 * seriesNames.size(), left = 220, right = 120, top = 70, bottom = 50;
        int w = 1000, h = top + bottom + row * Math.max(1, categories.size());
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = start(img, title);
        double max = 1;
        for (double[] v : values) for (double d : v) max = Math.max(max, d);
        int pw = w - left - right;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int si = 0; si < seriesNames.size(); si++) {
            g.setColor(COLORS[si % COLORS.length]);
            g.fillRect(left + si * 220, 36, 14, 10);
            g.setColor(Color.BLACK);
            g.drawString(seriesNames.get(si), left + 20 + si * 220, 46);
        }
        for (int c = 0; c < categories.size(); c++) {
            int y = top + c * row;
            g.setColor(Color.BLACK);
            String name = categories.get(c);
            g.drawString(name, left - 8 - g.getFontMetrics().stringWidth(name), y + row / 2 + 4);
            for (int si = 0; si < seriesNames.size(); si++) {
                double v = values.get(si)[c];
                int len = (int) Math.round(v / max * pw);
                g.setColor(COLORS[si % COLORS.length]);
                g.fillRect(left, y + 4 + si * 9, len, 8);
                g.setColor(Color.DARK_GRAY);
                g.drawString(bytes(v), left + len + 4, y + 12 + si * 9);
            }
        }
        g.setColor(Color.BLACK);
        g.drawLine(left, top, left, top + row * categories.size());
        g.drawString(valueLabel, left, h - 20);
        finish(g, img, file);
    }

    private static Graphics2D start(BufferedImage img, String title) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, 20, 25);
        return g;
    }

    private static void finish(Graphics2D g, BufferedImage img, Path file) throws IOException {
        g.dispose();
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("no PNG writer in this JVM");
            AtomicFiles.move(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Round values inside [lo, hi] for an axis: multiples of a step of 1, 2 or 5 × 10^k chosen so that about
     * {@code target} steps span the range. The step is at most 1.43 × range / target, so a target of 3 or more
     * always gives at least two values.
     */
    static double[] ticks(double lo, double hi, int target) {
        if (!(hi > lo) || !Double.isFinite(hi - lo)) throw new IllegalArgumentException("axis range [" + lo + ", " + hi + "] is empty");
        if (target < 3) throw new IllegalArgumentException("ticks: target " + target + " < 3");
        double raw = (hi - lo) / target, mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / mag <= 1.5 ? mag : raw / mag <= 3.5 ? 2 * mag : raw / mag <= 7.5 ? 5 * mag : 10 * mag;
        long first = (long) Math.ceil(lo / step), last = (long) Math.floor(hi / step);
        double[] t = new double[(int) (last - first + 1)];
        for (int i = 0; i < t.length; i++) t[i] = (first + i) * step; // multiples, not a running sum: no drift
        return t;
    }

    /** A tick's value with just the decimals its neighbours' spacing needs ("93.55", "100", "0.002"). */
    static String tickLabel(double v, double[] ticks) {
        double step = ticks.length > 1 ? ticks[1] - ticks[0] : Math.abs(v);
        int decimals = step > 0 ? Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9)) : 0;
        if (v == 0) v = 0; // no "-0"
        return String.format(Locale.ROOT, "%." + Math.min(decimals, 12) + "f", v);
    }

    /** 1536 → "1.5 KiB". */
    public static String bytes(double b) {
        String[] u = {"B", "KiB", "MiB", "GiB"};
        int i = 0;
        while (b >= 1024 && i < u.length - 1) { b /= 1024; i++; }
        return i == 0 ? String.format(Locale.ROOT, "%.0f B", b) : String.format(Locale.ROOT, "%.1f %s", b, u[i]);
    }
}
