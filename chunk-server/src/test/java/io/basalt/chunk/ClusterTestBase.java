package io.basalt.chunk;

import static io.basalt.chunk.ReplicatedWriteTest.random;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scaffolding shared by the tests run on a {@link TestCluster}: the cluster's directory, closing the cluster after
 * each test (after the subclass's own {@code @AfterEach}) and checking no buffer leaked once the class is done.
 */
abstract class ClusterTestBase {
  @TempDir Path dir;
  TestCluster c;

  /**
   * Makes {@code cluster} the test's cluster, creates extent {@code pid} and, if {@code firstWrite} is positive, writes
   * {@code random(1, firstWrite)} at offset 0 through chunk 0.
   */
  void startCluster(TestCluster cluster, long pid, int firstWrite) {
    c = cluster;
    c.createExtent(pid);
    if (firstWrite > 0) c.client.write(c.address(0), pid, 0, random(1, firstWrite), false).join();
  }

  @AfterEach
  void closeCluster() {
    if (c != null) c.close();
  }

  @AfterAll
  static void noLeaks() {
    assertThat(LeakLog.collect()).isEmpty();
  }
}
