package io.github.dropitjvm.tensor.cuda;

import io.github.dropitjvm.tensor.device.DeviceBackend;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** cuLaunchKernel's kernelParams: one pointer per parameter to a native copy of its value, host-side only. */
class KernelArgsTest {
    @Test
    void eachParameterIsAPointerToItsValue() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = KernelArgs.pack(a, 7, 1L << 40, 1.5f, -2.25, true, false, new KernelArgs.Ptr(0x7f00_0000_1000L));
            assertEquals(7 * ADDRESS.byteSize(), p.byteSize());
            MemorySegment[] v = new MemorySegment[7];
            for (int i = 0; i < 7; i++) v[i] = p.getAtIndex(ADDRESS, i).reinterpret(8);
            assertEquals(7, v[0].get(JAVA_INT, 0));
            assertEquals(1L << 40, v[1].get(JAVA_LONG, 0));
            assertEquals(1.5f, v[2].get(JAVA_FLOAT, 0));
            assertEquals(-2.25, v[3].get(JAVA_DOUBLE, 0));
            assertEquals(1, v[4].get(JAVA_INT, 0));
            assertEquals(0, v[5].get(JAVA_INT, 0));
            assertEquals(0x7f00_0000_1000L, v[6].get(JAVA_LONG, 0));
        }
    }

    @Test
    void aViewIsThePreludes128ByteStruct() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = KernelArgs.pack(a, new DeviceBackend.View(new int[]{2, 3, 4}, new long[]{1, 8, 2}, 5));
            MemorySegment s = p.getAtIndex(ADDRESS, 0).reinterpret(DeviceBackend.VIEW_BYTES);
            long[] w = s.toArray(JAVA_LONG);
            assertEquals(16, w.length);
            assertEquals(2, w[0]); assertEquals(3, w[1]); assertEquals(4, w[2]);
            assertEquals(1, w[6]); assertEquals(8, w[7]); assertEquals(2, w[8]);
            assertEquals(5, w[12]);  // offset
            assertEquals(3, w[13]);  // rank
            assertEquals(24, w[14]); // numel
            assertEquals(0, s.address() % 8);
        }
    }

    @Test
    void unsupportedArgumentsAndRanksAreRefused() {
        try (Arena a = Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class, () -> KernelArgs.pack(a, "text"));
            assertThrows(IllegalArgumentException.class, () -> KernelArgs.pack(a, new DeviceBackend.View(new int[7], new long[7], 0)));
        }
        assertEquals(2, KernelArgs.blocks(65, 64));
        assertEquals(1, KernelArgs.blocks(64, 64));
    }
}
