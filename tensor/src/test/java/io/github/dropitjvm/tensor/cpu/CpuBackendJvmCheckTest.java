package io.github.dropitjvm.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dropitjvm.tensor.Backend;
import io.github.dropitjvm.tensor.Backends;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.JvmRequirements;
import io.github.dropitjvm.tensor.Tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A program that uses the library in a JVM started without {@code --add-modules jdk.incubator.vector} must get
 * {@link JvmRequirements}' message when it first reaches the CPU backend, not a NoClassDefFoundError for
 * jdk/incubator/vector/Vector from the first kernel. Surefire's JVM has the module, so each case runs a small
 * program in a child JVM started without it, on the test class path.
 */
class CpuBackendJvmCheckTest {
    /** How JvmRequirements' message for a JVM without the module starts (its tail, "...; this JVM was ...", is checked apart). */
    private static final String MESSAGE = "DropIT-JVM needs Java " + JvmRequirements.MIN_JAVA + " or newer started as 'java "
            + JvmRequirements.JVM_FLAGS;
    private static final String WHY = "this JVM was started without the jdk.incubator.vector module";

    /** What a user's program does first: creates a random tensor on the default backend (as new Linear(...) does). */
    public static final class DefaultBackendProgram {
        public static void main(String[] args) {
            System.out.println("created " + Tensor.randn(new Generator(1), 4, 4));
        }
    }

    /** Code that takes the CPU backend directly ({@code CpuBackend.INSTANCE}, as the benchmarks do). */
    public static final class DirectInstanceProgram {
        public static void main(String[] args) {
            Tensor t = Tensor.zeros(CpuBackend.INSTANCE, DType.FLOAT32, 4, 4);
            CpuBackend.INSTANCE.random(t, 1, 0, Backend.Distribution.NORMAL);
            System.out.println("created " + t);
        }
    }

    @Test
    void theDefaultBackendRefusesAJvmWithoutTheVectorModuleWithTheMessageThatSaysHowToStartIt() throws Exception {
        String err = runWithoutVectorModule(DefaultBackendProgram.class);
        // the plain exception, thrown by Backends.cpu() before CpuBackend's class initialization could wrap it
        assertTrue(err.startsWith("Exception in thread \"main\" java.lang.IllegalStateException: " + MESSAGE), err);
        assertTrue(err.contains(WHY), err);
        assertFalse(err.contains("NoClassDefFoundError"), err);
        assertFalse(err.contains("ExceptionInInitializerError"), err);
    }

    @Test
    void theCpuBackendInstanceRefusesItToo() throws Exception {
        String err = runWithoutVectorModule(DirectInstanceProgram.class);
        // class initialization wraps it: the message is the cause's, first thing in the trace
        assertTrue(err.contains("Caused by: java.lang.IllegalStateException: " + MESSAGE), err);
        assertTrue(err.contains(WHY), err);
        assertFalse(err.contains("jdk/incubator/vector"), err);
    }

    @Test
    void theBackendIsHandedOutWhereTheModuleIsPresent() {
        assertEquals("cpu", Backends.cpu().name());
    }

    /** Runs {@code main} in a JVM without the vector module; returns its stderr after checking it failed. */
    private static String runWithoutVectorModule(Class<?> main) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // a small heap and C1 only: the child starts, fails at its first tensor and exits, in well under a second
        Process p = new ProcessBuilder(List.of(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"), main.getName()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM did not exit");
        assertTrue(p.exitValue() != 0, "the child JVM ran without the vector module:\n" + err);
        return err;
    }
}
