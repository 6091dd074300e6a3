package io.basalt.tester;

import io.basalt.it.check.NbdVolume;
import io.basalt.it.check.StressConfig;
import io.basalt.it.check.StressResult;
import io.basalt.it.check.Stresser;
import io.basalt.it.cluster.ClusterNode;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The stressers a case runs under (issue 14 point 3), all through the real NBD server: the {@link Stresser} on the
 * stress volume over the project's own NBD client (a QD1 sequential writer whose gaps are the pause, 6 QD1 random
 * writers on disjoint blocks, 3 writers overlapping in a shared range, 2 checking readers, a FLUSH every 50 writes,
 * FUA on 10 %), and {@link FioVerifyLoad} (QD16) on the fio volume. Stopped before each check and resumed after it:
 * the stresser goes on with the same model, so every check covers every write since the run began.
 */
final class TesterLoad implements AutoCloseable {
  /** The shortest horizon a resumed run paces its contended range over. */
  private static final Duration MIN_HORIZON = Duration.ofMinutes(1);

  private final NbdVolume volume;
  private final TesterCluster cluster;
  private final Path dir;
  private final long seed;
  private Stresser stresser;
  private FioVerifyLoad fio;
  private int runs;
  private final long endNanos; // the planned end of the whole tester run

  /** The results of one run, from its start to {@link #stop()}. */
  record Run(StressResult stress, FioVerifyLoad.Result fio) {}

  private TesterLoad(NbdVolume volume, TesterCluster cluster, Path dir, long seed, Duration horizon) {
    this.volume = volume;
    this.cluster = cluster;
    this.dir = dir;
    this.seed = seed;
    this.endNanos = System.nanoTime() + horizon.toNanos();
  }

  /**
   * Starts the loads. {@code horizon} is how long the whole tester run is expected to last: the stresser's run ends
   * only when the tester stops it, but it paces its contended range (whose histories are bounded for the search)
   * over what is left of the horizon.
   */
  static TesterLoad start(TesterCluster cluster, long volumeId, long seed, Duration horizon) {
    ClusterNode nbd = cluster.cluster.nbd();
    NbdVolume v = NbdVolume.connect(nbd.host(), nbd.port(), TesterCluster.STRESS);
    TesterLoad load = new TesterLoad(v, cluster, cluster.options.dir(), seed, horizon);
    StressConfig config = StressConfig.defaults(seed).withVolumeId(volumeId)
        .withLayout(TesterCluster.EXTENT_BYTES, (int) (TesterCluster.STRESS_BYTES / 4096 / 2), 8)
        .withWorkers(6, true, 2).withContended(3, 32).withDurability(50, 10)
        .withLimits(load.horizonLeft(), 0).withHistory(load.dir.resolve("stress-history.txt"), 200_000);
    load.stresser = Stresser.start(v, config);
    load.startFio();
    return load;
  }

  private void startFio() {
    runs++;
    if (cluster.options.fio()) {
      fio = FioVerifyLoad.start(cluster.cluster.nbdUri(TesterCluster.FIO), TesterCluster.FIO_BYTES,
          dir.resolve("fio"), seed * 1000 + runs * 100L);
    }
  }

  /** What is left of the horizon, at least {@link #MIN_HORIZON}; a run also ends there if nothing stopped it. */
  private Duration horizonLeft() {
    Duration left = Duration.ofNanos(endNanos - System.nanoTime());
    return left.compareTo(MIN_HORIZON) < 0 ? MIN_HORIZON : left;
  }

  Stresser stresser() {
    return stresser;
  }

  NbdVolume volume() {
    return volume;
  }

  /** Cancels the stressers: the writers finish their op, fio its pass (write and verify). */
  Run stop() {
    StressResult r = stresser.stop();
    FioVerifyLoad.Result f = fio == null ? new FioVerifyLoad.Result(0, 0, null) : fio.stop();
    fio = null;
    return new Run(r, f);
  }

  /** Starts the stressers again after a check, going on with the same model and history. */
  void resume() {
    stresser = Stresser.resume(volume, stresser, horizonLeft());
    startFio();
  }

  /** The extent index the QD1 sequential writer writes (its pauses are the QD1 pause figure). */
  int sequentialExtent() {
    return (int) (stresser.layout().sequentialStart() * 4096 / TesterCluster.EXTENT_BYTES);
  }

  @Override
  public void close() {
    if (fio != null) {
      fio.close();
    }
    stresser.close();
    volume.close();
  }
}
