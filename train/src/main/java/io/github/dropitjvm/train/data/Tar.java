package io.github.dropitjvm.train.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * Just enough of a tar reader to take files out of an npm tarball ({@code .tgz}): ustar headers, GNU long names
 * and pax path records; regular files only. No external {@code tar} is needed.
 */
final class Tar {
    private Tar() {}

    private static final int BLOCK = 512;

    /**
     * Extracts the regular files whose base name is in wanted from a gzipped (or plain) tar archive into outDir
     * (flat, by base name); returns base name to extracted path. Entries not wanted are skipped.
     *
     * @throws DataException naming the archive when it is truncated or not a tar archive
     */
    static Map<String, Path> extract(Path archive, Set<String> wanted, Path outDir) {
        Map<String, Path> found = new LinkedHashMap<>();
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read(), b1 = raw.read();
            raw.reset();
            InputStream in = b0 == 0x1f && b1 == 0x8b ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
            String longName = null;
            byte[] header = new byte[BLOCK];
            while (true) {
                int n = in.readNBytes(header, 0, BLOCK);
                if (n == 0) break; // some writers omit the two zero blocks
                if (n < BLOCK) throw new DataException(archive + ": truncated tar archive (a header is cut off)");
                if (isZero(header)) break;
                if (!checksumOk(header))
                    throw new DataException(archive + ": not a tar archive or corrupt (header checksum mismatch)");
                long size = size(header, archive);
                char type = (char) header[156];
                String name = string(header, 0, 100);
                String prefix = string(header, 345, 155);
                if (!prefix.isEmpty() && string(header, 257, 5).equals("ustar")) name = prefix + "/" + name;
                if (type == 'L' || type == 'x') {
                    byte[] data = readData(in, size, archive);
                    if (type == 'L') longName = new String(data, StandardCharsets.UTF_8).replace("\0", "");
                    else longName = paxPath(data, longName);
                    continue;
                }
                if (longName != null) {
                    name = longName;
                    longName = null;
                }
                String base = name.substring(name.lastIndexOf('/') + 1);
                if ((type == '0' || type == '\0') && wanted.contains(base) && !found.containsKey(base)) {
                    Path out = outDir.resolve(base);
                    Files.createDirectories(outDir);
                    try (OutputStream os = Files.newOutputStream(out)) {
                        copy(in, os, size, archive);
                    }
                    skip(in, pad(size), archive);
                    found.put(base, out);
                } else {
                    skip(in, size + pad(size), archive);
                }
            }
        } catch (IOException e) {
            throw new DataException(archive + ": cannot read the archive (" + e.getMessage() + ")", e);
        }
        return found;
    }

    private static boolean isZero(byte[] h) {
        for (byte b : h) if (b != 0) return false;
        return true;
    }

    private static boolean checksumOk(byte[] h) {
        long stored;
        try {
            String s = string(h, 148, 8).trim();
            stored = Long.parseLong(s.isEmpty() ? "-1" : s, 8);
        } catch (NumberFormatException e) {
            return false;
        }
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xFF);
        return sum == stored;
    }

    private static long size(byte[] h, Path archive) {
        if ((h[124] & 0x80) != 0) { // GNU base-256
            long v = 0;
            for (int i = 125; i < 136; i++) v = (v << 8) | (h[i] & 0xFF);
            return v;
        }
        String s = string(h, 124, 12).trim();
        try {
            return s.isEmpty() ? 0 : Long.parseLong(s, 8);
        } catch (NumberFormatException e) {
            throw new DataException(archive + ": corrupt tar header (size field '" + s + "')");
        }
    }

    private static String string(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) end++;
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    private static String paxPath(byte[] data, String fallback) {
        // records: "<len> key=value\n"
        String s = new String(data, StandardCharsets.UTF_8);
        for (String rec : s.split("\n")) {
            int sp = rec.indexOf(' '), eq = rec.indexOf('=');
            if (sp > 0 && eq > sp && rec.substring(sp + 1, eq).equals("path")) return rec.substring(eq + 1);
        }
        return fallback;
    }

    private static long pad(long size) {
        return (BLOCK - size % BLOCK) % BLOCK;
    }

    private static byte[] readData(InputStream in, long size, Path archive) throws IOException {
        if (size > 1 << 20) throw new DataException(archive + ": corrupt tar archive (a " + size + "-byte metadata entry)");
        byte[] data = in.readNBytes((int) size);
        if (data.length < size) throw new DataException(archive + ": truncated tar archive");
        skip(in, pad(size), archive);
        return data;
    }

    private static void copy(InputStream in, OutputStream out, long size, Path archive) throws IOException {
        byte[] buf = new byte[1 << 16];
        long left = size;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) throw new DataException(archive + ": truncated tar archive (an entry is cut off)");
            out.write(buf, 0, n);
            left -= n;
        }
    }

    private static void skip(InputStream in, long n, Path archive) throws IOException {
        long left = n;
        while (left > 0) {
            long s = in.skip(left);
            if (s <= 0) {
                if (in.read() < 0) throw new DataException(archive + ": truncated tar archive");
                s = 1;
            }
            left -= s;
        }
    }
}
