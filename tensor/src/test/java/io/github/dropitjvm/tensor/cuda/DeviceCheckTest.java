package io.github.dropitjvm.tensor.cuda;

import io.github.dropitjvm.tensor.opencl.OpenClBackend;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The op self-check that scripts/gpu-check.sh runs on a GPU, run here on the other device backend (OpenCL; PoCL in
 * CI): a check that fails on a correct backend would spend a rare GPU session on a false alarm. (It once did, for
 * every comparison op: their BIT results could not move to the CPU to be compared.)
 */
class DeviceCheckTest {
    @Test
    void everyOpOfTheDeviceCheckAgreesWithTheCpuOnOpenCl() {
        if (!OpenClBackend.isAvailable()) {
            if ("true".equals(System.getenv("CI"))) fail("CI requires OpenCL (PoCL) for the device check");
            Assumptions.abort("no OpenCL device: the device check cannot run on a device backend here");
        }
        DeviceCheck.ops(OpenClBackend.instance());
        assertEquals(List.of(), DeviceCheck.FAILED);
        assertTrue(DeviceCheck.passed >= 50, DeviceCheck.passed + " ops checked");
    }
}
