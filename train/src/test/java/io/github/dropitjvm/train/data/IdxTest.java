package io.github.dropitjvm.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
    @TempDir
    Path dir;

    static byte[] randomPixels(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static int[] labels(int n) {
        int[] l = new int[n];
        for (int i = 0; i < n; i++) l[i] = (i * 7) % 10;
        return l;
    }

    private ImageSet roundTrip(String suffix) {
        byte[] px = randomPixels(5 * 3 * 4, 1);
        int[] lb = labels(5);
        Path im = dir.resolve("im" + suffix), la = dir.resolve("la" + suffix);
        Idx.write(im, Idx.encodeImages(5, 3, 4, px));
        Idx.write(la, Idx.encodeLabels(lb));
        ImageSet s = Idx.imageSet("t", Idx.decode(im), im.toString(), Idx.decode(la), la.toString(), 10);
        assertEquals(5, s.size());
        assertEquals(3, s.height());
        assertEquals(4, s.width());
        assertEquals(1, s.channels());
        assertArrayEquals(px, s.pixels());
        assertArrayEquals(lb, s.labels());
        return s;
    }

    @Test
    void rawRoundTrip() throws Exception {
        roundTrip("");
        assertEquals(0x00000803, java.nio.ByteBuffer.wrap(Files.readAllBytes(dir.resolve("im"))).getInt(), "big-endian magic");
    }

    @Test
    void gzipRoundTrip() throws Exception {
        roundTrip(".gz");
        byte[] onDisk = Files.readAllBytes(dir.resolve("im.gz"));
        assertTrue(Idx.isGzip(onDisk), "a .gz name is written gzipped");
    }

    @Test
    void gzipIsRecognisedByContentNotName() throws Exception {
        Path p = dir.resolve("plain-name");
        Files.write(p, Idx.gzip(Idx.encodeLabels(labels(3))));
        assertArrayEquals(labels(3), Idx.parseLabels(Idx.decode(p), p.toString(), 10));
    }

    private DataException refused(byte[] fileBytes, boolean images) throws Exception {
        Path p = dir.resolve("bad-file-" + System.nanoTime());
        Files.write(p, fileBytes);
        DataException e = assertThrows(DataException.class, () -> {
            byte[] d = Idx.decode(p);
            if (images) Idx.parseImages(d, p.toString());
            else Idx.parseLabels(d, p.toString(), 10);
        });
        assertTrue(e.getMessage().contains(p.toString()), "message names the file: " + e.getMessage());
        return e;
    }

    @Test
    void wrongMagicIsRefused() throws Exception {
        // a labels file read as images
        DataException e = refused(Idx.encodeLabels(labels(4)), true);
        assertTrue(e.getMessage().contains("wrong magic number 0x00000801"), e.getMessage());
        e = refused(new byte[] {0, 0, 8, 4, 0, 0, 0, 0}, false);
        assertTrue(e.getMessage().contains("wrong magic"), e.getMessage());
    }

    @Test
    void truncatedHeaderIsRefused() throws Exception {
        assertTrue(refused(new byte[] {0, 0}, true).getMessage().contains("truncated"));
        assertTrue(refused(new byte[] {0, 0, 8, 3, 0, 0, 0, 2}, true).getMessage().contains("truncated"));
        assertTrue(refused(new byte[0], false).getMessage().contains("truncated"));
    }

    @Test
    void truncatedDataIsRefused() throws Exception {
        byte[] full = Idx.encodeImages(4, 2, 2, randomPixels(16, 2));
        DataException e = refused(Arrays.copyOf(full, full.length - 1), true);
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("4 images of 2x2"), e.getMessage());
        byte[] lab = Idx.encodeLabels(labels(9));
        assertTrue(refused(Arrays.copyOf(lab, lab.length - 3), false).getMessage().contains("truncated"));
    }

    @Test
    void trailingBytesAreRefused() throws Exception {
        byte[] full = Idx.encodeImages(4, 2, 2, randomPixels(16, 2));
        assertTrue(refused(Arrays.copyOf(full, full.length + 5), true).getMessage().contains("wrong size"));
    }

    @Test
    void negativeOrZeroDimensionsAreRefused() throws Exception {
        byte[] h = java.nio.ByteBuffer.allocate(16).putInt(0x803).putInt(-1).putInt(2).putInt(2).array();
        assertTrue(refused(h, true).getMessage().contains("negative"));
        byte[] z = java.nio.ByteBuffer.allocate(16).putInt(0x803).putInt(0).putInt(0).putInt(2).array();
        assertTrue(refused(z, true).getMessage().contains("not positive"));
    }

    @Test
    void labelOutOfRangeIsRefused() throws Exception {
        assertTrue(refused(Idx.encodeLabels(new int[] {1, 2, 10}), false).getMessage().contains("label 10 of item 2"));
    }

    @Test
    void badGzipIsRefused() throws Exception {
        byte[] gz = Idx.gzip(Idx.encodeImages(10, 4, 4, randomPixels(160, 3)));
        // truncated gzip stream
        DataException e = refused(Arrays.copyOf(gz, gz.length / 2), true);
        assertTrue(e.getMessage().contains("bad gzip"), e.getMessage());
        // corrupt deflate data behind a valid gzip header
        byte[] bad = gz.clone();
        for (int i = 12; i < bad.length - 8; i++) bad[i] ^= (byte) 0x5a;
        assertTrue(refused(bad, true).getMessage().contains("bad gzip"));
        // gzip magic, garbage after it
        assertTrue(refused(new byte[] {0x1f, (byte) 0x8b, 1, 2, 3}, true).getMessage().contains("bad gzip"));
    }

    @Test
    void imageLabelCountMismatchNamesBothFiles() {
        byte[] im = Idx.encodeImages(3, 2, 2, randomPixels(12, 4));
        byte[] la = Idx.encodeLabels(labels(4));
        DataException e = assertThrows(DataException.class, () -> Idx.imageSet("t", im, "/x/images-file", la, "/x/labels-file", 10));
        assertTrue(e.getMessage().contains("/x/images-file") && e.getMessage().contains("/x/labels-file")
                && e.getMessage().contains("3 images") && e.getMessage().contains("4 labels"), e.getMessage());
    }

    @Test
    void checksumMismatchIsRefusedNamingTheFile() {
        byte[] b = {1, 2, 3};
        String good = Checksums.sha256(b);
        Checksums.verify("f", b, good);
        Checksums.verify("f", b, good.toUpperCase());
        Checksums.verify("f", b, null);
        DataException e = assertThrows(DataException.class, () -> Checksums.verify("/data/some-file", new byte[] {1, 2, 4}, good));
        assertTrue(e.getMessage().contains("/data/some-file") && e.getMessage().contains("checksum mismatch")
                && e.getMessage().contains(good), e.getMessage());
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Checksums.sha256(new byte[0]));
    }
}
