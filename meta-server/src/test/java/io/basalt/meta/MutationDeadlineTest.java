package io.basalt.meta;

import static io.basalt.meta.MetaTestSupport.awaitActive;
import static io.basalt.meta.MetaTestSupport.config;
import static io.basalt.meta.MetaTestSupport.failure;
import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.basalt.meta.zk.EmbeddedZooKeeper;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.RequestDeadline;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mutation takes the deadline of the request it was made for: dequeued after that deadline, it is refused
 * (DEADLINE_EXCEEDED, retryable) and nothing is written; made with time left, or outside any request, it runs.
 */
@Timeout(60)
class MutationDeadlineTest {
  private static final long MIB = 1L << 20;
  @TempDir
  Path dir;
  EmbeddedZooKeeper zk;
  MetaCore core;

  @BeforeEach
  void start() {
    zk = EmbeddedZooKeeper.start(dir);
    core = awaitActive(MetaCore.start(config(zk.getConnectionString()), "127.0.0.1:7001",
        new MetricRegistry()));
  }

  @AfterEach
  void stop() {
    core.close();
    zk.close();
  }

  CompletableFuture<?> create(String name) {
    return core.volumes().create(CreateVolumeRequest.newBuilder().setName(name).setSizeBytes(4 * MIB)
        .setReplicas(3).setExtentSize(MIB).build());
  }

  @Test
  void aMutationDequeuedAfterItsRequestsDeadlineIsRefusedAndWritesNothing() throws Exception {
    CompletableFuture<?> late = RequestDeadline.with(System.nanoTime() - 1, () -> create("late"));
    BasaltException e = failure(late);
    assertThat(e.code()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
    assertThat(e.retryable()).isTrue();
    assertThat(e.getMessage()).contains("createVolume").contains("not executed");

    RequestDeadline.with(System.nanoTime() + TimeUnit.SECONDS.toNanos(30), () -> create("in-time")).get(10,
        TimeUnit.SECONDS);
    create("internal").get(10, TimeUnit.SECONDS);
    assertThat(core.volumes().list().get(10, TimeUnit.SECONDS).getVolumesList())
        .extracting(v -> v.getName()).containsExactlyInAnyOrder("in-time", "internal");
    assertThat(RequestDeadline.current()).as("restored after the handler").isEqualTo(RequestDeadline.NONE);
  }
}
