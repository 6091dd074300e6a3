package io.basalt.bench.loader;

import io.basalt.bench.jmh.TempDirs;
import io.basalt.client.VolumeHandle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The in-process write loader of issue 10: a meta server and chunk servers (real RocksDB, real TCP on 127.0.0.1)
 * in this JVM, one volume of a few small extents, and a fixed number of writes in flight through the block client
 * (which takes each extent's lease and sends WriteRequests to its owner, who replicates to the other members).
 * Prints throughput, latency, CPU per write over every thread of the JVM, and the chunks' batch sizes.
 *
 * <p>Everything shares the machine's cores, client included: the CPU figure is the whole data path's cost per
 * write (client + owner + replicas), the thing group commit and run-to-completion are meant to cut.
 */
public final class WriteLoader {
  private WriteLoader() {}

  public static void main(String[] args) throws Exception {
    if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
      System.out.print(LoaderOptions.USAGE);
      return;
    }
    LoaderOptions options;
    try {
      options = LoaderOptions.parse(List.of(args));
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage() + "\n\n" + LoaderOptions.USAGE);
      System.exit(2);
      return;
    }
    boolean ok;
    try {
      ok = run(options);
    } catch (Exception | Error e) {
      // exit explicitly: threads of a half-started cluster must not keep the JVM alive
      System.err.println("loader failed: " + e);
      e.printStackTrace();
      ok = false;
    }
    System.exit(ok ? 0 : 1);
  }

  /** Runs the load; false when any write failed. */
  static boolean run(LoaderOptions o) throws IOException, InterruptedException {
    Path dir = o.dir() != null ? o.dir() : Files.createTempDirectory("basalt-loader");
    try (BenchCluster cluster = BenchCluster.start(dir, o.chunks())) {
      VolumeHandle volume = cluster.createVolume("load", o.volumeSize(), o.extentSize(), o.replicas());
      WriteLoad load = new WriteLoad(volume, o.writeSize(), o.queueDepth());
      if (o.warmupSeconds() > 0) {
        WriteLoad.Result warm = load.run(o.warmupSeconds());
        System.err.printf("warm-up: %d writes, %d failed%n", warm.writes(), warm.failures());
      }
      CpuMeter cpu = new CpuMeter();
      CpuMeter.Snapshot before = cpu.snapshot();
      WriteLoad.Result result = load.run(o.seconds());
      CpuMeter.Usage used = CpuMeter.between(before, cpu.snapshot());
      System.out.print(LoaderReport.format(o, result, used, cluster.chunks()));
      volume.close();
      return result.failures() == 0;
    } finally {
      if (o.dir() == null) {
        TempDirs.deleteRecursively(dir);
      }
    }
  }
}
