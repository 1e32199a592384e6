package io.github.dropitjvm.train.data;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of byte arrays and the check every decoded data file goes through. */
public final class Checksums {
    private Checksums() {}

    /** The SHA-256 of bytes, as 64 lower-case hex digits. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e); // every Java SE platform has it
        }
    }

    /**
     * Refuses bytes whose SHA-256 is not the expected one.
     *
     * @param source the file (or resource) the bytes were decoded from, for the message
     * @param expected 64 hex digits (case ignored); null skips the check
     * @throws DataException naming the source and both sums on a mismatch
     */
    public static void verify(String source, byte[] bytes, String expected) {
        if (expected == null) return;
        String actual = sha256(bytes);
        if (!actual.equalsIgnoreCase(expected))
            throw new DataException(source + ": checksum mismatch: SHA-256 of the decoded " + bytes.length
                    + " bytes is " + actual + ", expected " + expected.toLowerCase(java.util.Locale.ROOT)
                    + " (the file is corrupt, truncated or a different version)");
    }
}
