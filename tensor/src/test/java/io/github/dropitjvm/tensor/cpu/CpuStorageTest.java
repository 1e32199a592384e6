package io.github.dropitjvm.tensor.cpu;

import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Storage;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Allocation without zero fill: available under the build's JVM flags, poisoned in tests, accounted exactly. */
class CpuStorageTest {
    @Test
    void theBuildsJvmFlagsEnableTheNoZeroFillPath() {
        // The build passes --add-exports java.base/jdk.internal.misc=ALL-UNNAMED (pom.xml jvm.flags).
        assertTrue(CpuStorage.skipsZeroFill(), "jdk.internal.misc.Unsafe.allocateUninitializedArray is not reachable");
    }

    @Test
    void uninitialisedStoragesArePoisonedInTestsAndAccountedLikeZeroedOnes() {
        CpuBackend cpu = CpuBackend.INSTANCE;
        long count = cpu.memory().allocationCount();
        Storage f = cpu.allocateUninitialized(DType.FLOAT32, 1000);
        Storage bits = cpu.allocateUninitialized(DType.BIT, 100);
        assertEquals(count + 2, cpu.memory().allocationCount());
        assertEquals(DType.FLOAT32.bytesFor(1000), f.bytes());
        assertEquals(DType.BIT.bytesFor(100), bits.bytes());
        if (Boolean.getBoolean("dropit.cpu.poisonUninitialized"))
            for (float v : ((CpuStorage) f).floats()) assertTrue(Float.isNaN(v));
        for (int w : ((CpuStorage) bits).ints()) assertEquals(0, w, "BIT storages are always zeroed");
        f.close();
        bits.close();
    }
}
