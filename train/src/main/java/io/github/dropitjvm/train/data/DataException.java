package io.github.dropitjvm.train.data;

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
}
