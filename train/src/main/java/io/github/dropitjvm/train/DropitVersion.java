package io.github.dropitjvm.train;

import io.github.dropitjvm.tensor.JvmRequirements;
import picocli.CommandLine.IVersionProvider;

/** {@code --version} of every DropIT-JVM command: the version and git commit stamped in at build time. */
public final class DropitVersion implements IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {"DropIT-JVM " + JvmRequirements.versionString()};
    }
}
