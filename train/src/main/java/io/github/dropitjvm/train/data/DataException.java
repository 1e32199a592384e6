package io.github.dropitjvm.train.data;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * A dataset could not be obtained or a data file was refused (missing, truncated, corrupt, wrong format or
 * checksum). The message names the dataset or file and says what was wrong; it is meant to be shown to the user
 * as is.
 */
public class DataException extends RuntimeException {
    /** An error with this message (what failed, naming the file or dataset). */
    public DataException(String message) {
        super(message);
    }

    /** An error with this message (what failed, naming the file or dataset) and the underlying cause. */
    public DataException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * An I/O error in words for the user: a file system error as the file and the reason (Java names the file alone
     * in most of them, e.g. a NoSuchFileException's message is just the path), any other as its message.
     */
    public static String why(IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null)
            return f.getFile() + (f.getOtherFile() != null ? " (and " + f.getOtherFile() + ")" : "") + ": " + reason(e);
        return reason(e);
    }

    /** The reason alone, for a message that names the file itself. */
    public static String reason(IOException e) {
        if (e instanceof FileSystemException f) {
            if (f.getReason() != null) return f.getReason();
            return switch (f) {
                case NoSuchFileException x -> "no such file or directory";
                case AccessDeniedException x -> "permission denied";
                // what Files.createDirectories throws for a path that exists as something else
                case FileAlreadyExistsException x -> x.getFile() != null && !Files.isDirectory(Path.of(x.getFile()))
                        ? "exists and is not a directory" : "already exists";
                case NotDirectoryException x -> "not a directory";
                default -> f.getFile() == null && f.getMessage() != null ? f.getMessage() : f.getClass().getSimpleName();
            };
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
