import one.profiler.AsyncProfiler;
public class Prof {
    public static void main(String[] a) throws Exception {
        int delay = Integer.parseInt(a[0]), len = Integer.parseInt(a[1]); String out = a[2];
        AsyncProfiler p = AsyncProfiler.getInstance("/tmp/ap/linux-x64/libasyncProfiler.so");
        Thread t = new Thread(() -> { try { Thread.sleep(delay * 1000L); p.execute("start,event=itimer,interval=1ms"); Thread.sleep(len * 1000L); p.execute("stop,file=" + out + ",collapsed"); System.err.println("profile written"); } catch (Exception e) { e.printStackTrace(); } });
        t.setDaemon(true); t.start();
        String[] rest = java.util.Arrays.copyOfRange(a, 3, a.length);
        io.github.dropitjvm.bench.BenchMain.main(rest);
    }
}
