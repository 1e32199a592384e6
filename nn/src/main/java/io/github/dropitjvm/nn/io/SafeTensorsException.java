package io.github.dropitjvm.nn.io;

import java.io.IOException;

/**
 * A safetensors file that cannot be read as one: too short, truncated, an oversized or malformed header, an
 * unsupported dtype, inconsistent offsets. The message names the file and, where one is at fault, the tensor.
 */
public final class SafeTensorsException extends IOException {
    public SafeTensorsException(String message) {
        super(message);
    }
}
