package io.github.dropitjvm.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10Test {
    @TempDir
    Path dir;

    /** Writes the six files with 3, 1, 4, 2, 5 training and 6 test records; returns all pixels and labels, train first. */
    private byte[][] writeDirectory(Path d) throws Exception {
        Files.createDirectories(d);
        int[] counts = {3, 1, 4, 2, 5, 6};
        List<String> names = new java.util.ArrayList<>(Cifar10.TRAIN_FILES);
        names.add(Cifar10.TEST_FILE);
        byte[] allPx = new byte[0];
        byte[] allLabels = new byte[0];
        for (int f = 0; f < 6; f++) {
            byte[] px = IdxTest.randomPixels(counts[f] * Cifar10.IMAGE_BYTES, 10 + f);
            int[] lb = new int[counts[f]];
            for (int i = 0; i < lb.length; i++) lb[i] = (f * 3 + i) % 10;
            Files.write(d.resolve(names.get(f)), Cifar10.encode(px, lb));
            int o = allPx.length;
            allPx = Arrays.copyOf(allPx, o + px.length);
            System.arraycopy(px, 0, allPx, o, px.length);
            int ol = allLabels.length;
            allLabels = Arrays.copyOf(allLabels, ol + lb.length);
            for (int i = 0; i < lb.length; i++) allLabels[ol + i] = (byte) lb[i];
        }
        return new byte[][] {allPx, allLabels};
    }

    @Test
    void readsTrainingFilesInOrderAndTheTestFile() throws Exception {
        byte[][] all = writeDirectory(dir);
        Split s = Cifar10.load(dir);
        assertEquals(15, s.train().size());
        assertEquals(6, s.test().size());
        assertEquals(3, s.train().channels());
        assertEquals(32, s.train().height());
        assertEquals(32, s.train().width());
        int trainBytes = 15 * Cifar10.IMAGE_BYTES;
        assertArrayEquals(Arrays.copyOf(all[0], trainBytes), s.train().pixels());
        assertArrayEquals(Arrays.copyOfRange(all[0], trainBytes, all[0].length), s.test().pixels());
        for (int i = 0; i < 15; i++) assertEquals(all[1][i], s.train().labels()[i]);
        for (int i = 0; i < 6; i++) assertEquals(all[1][15 + i], s.test().labels()[i]);
    }

    @Test
    void pixelLayoutIsRedGreenBluePlanesRowMajor() throws Exception {
        byte[] rec = new byte[Cifar10.RECORD_BYTES];
        rec[0] = 7;
        rec[1 + 0 * 1024 + 5 * 32 + 9] = (byte) 200;  // R at row 5, col 9
        rec[1 + 1 * 1024 + 0] = (byte) 100;          // G at (0, 0)
        rec[1 + 2 * 1024 + 1023] = (byte) 255;       // B at (31, 31)
        Path f = dir.resolve("one.bin");
        Files.write(f, rec);
        ImageSet s = Cifar10.read("one", List.of(f));
        assertEquals(7, s.labels()[0]);
        assertEquals(200, s.pixels()[5 * 32 + 9] & 0xFF);
        assertEquals(100, s.pixels()[1024] & 0xFF);
        assertEquals(255, s.pixels()[3071] & 0xFF);
    }

    @Test
    void datasetsFindsTheFilesInTheDirectoryOrItsSubfolders() throws Exception {
        writeDirectory(dir.resolve("a"));
        assertEquals(6, Datasets.load("cifar10", dir.resolve("a")).test().size());
        writeDirectory(dir.resolve("b").resolve("cifar-10-batches-bin"));
        assertEquals(15, Datasets.load("cifar10", dir.resolve("b")).train().size());
        writeDirectory(dir.resolve("c").resolve("cifar10"));
        assertEquals(15, Datasets.load("cifar10", dir.resolve("c")).train().size());
    }

    @Test
    void truncatedFileIsRefusedNamingIt() throws Exception {
        writeDirectory(dir);
        Path f = dir.resolve("data_batch_3.bin");
        byte[] b = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(b, b.length - 100));
        DataException e = assertThrows(DataException.class, () -> Cifar10.load(dir));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("3073-byte records"), e.getMessage());
    }

    @Test
    void emptyFileIsRefused() throws Exception {
        writeDirectory(dir);
        Path f = dir.resolve("test_batch.bin");
        Files.write(f, new byte[0]);
        DataException e = assertThrows(DataException.class, () -> Cifar10.load(dir));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void labelOutsideTheClassesIsRefused() throws Exception {
        writeDirectory(dir);
        Path f = dir.resolve("data_batch_2.bin");
        byte[] b = Files.readAllBytes(f);
        b[0] = 42;
        Files.write(f, b);
        DataException e = assertThrows(DataException.class, () -> Cifar10.load(dir));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("label 42"), e.getMessage());
    }

    @Test
    void missingFilesAreListed() throws Exception {
        writeDirectory(dir);
        Files.delete(dir.resolve("data_batch_4.bin"));
        Files.delete(dir.resolve("test_batch.bin"));
        DataException e = assertThrows(DataException.class, () -> Cifar10.load(dir));
        assertTrue(e.getMessage().contains("cifar10") && e.getMessage().contains("data_batch_4.bin")
                && e.getMessage().contains("test_batch.bin") && !e.getMessage().contains("data_batch_1.bin,"), e.getMessage());
    }
}
