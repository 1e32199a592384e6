package io.github.dropitjvm.train.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path tmp;

    /** Several compare processes write one grid's table at the end, possibly at the same moment. */
    @Test
    void concurrentWritersOfOneFileEachLeaveAWholeFileAndNoTempFiles() throws Exception {
        Path f = tmp.resolve("compare.md");
        Set<Throwable> failures = ConcurrentHashMap.newKeySet();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            String text = ("writer " + w + "\n").repeat(1000);
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    for (int i = 0; i < 50; i++) AtomicFiles.writeString(f, text);
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            t.start();
            writers.add(t);
        }
        go.countDown();
        for (Thread t : writers) t.join();
        assertTrue(failures.isEmpty(), failures.toString());
        String s = Files.readString(f);
        assertEquals(("writer " + s.charAt(7) + "\n").repeat(1000), s);
        try (var l = Files.list(tmp)) {
            assertEquals(List.of("compare.md"), l.map(p -> p.getFileName().toString()).toList());
        }
    }
}
