package io.basalt.chunk.replica;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.common.OrderedExecutor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Calls of a pid keep their order behind one that waits (for meta), without blocking the pid's thread. */
@Timeout(30)
class PidOrderTest {
  private final OrderedExecutor ordered = new OrderedExecutor("pid-order-test", 1);
  private final PidOrder order = new PidOrder(ordered);
  private final List<String> ran = Collections.synchronizedList(new ArrayList<>());

  @AfterEach
  void stop() {
    ordered.close();
  }

  @Test
  void callsAfterAWaitingOneRunInArrivalOrderOnceItCompletes() throws Exception {
    CompletableFuture<Void> meta = new CompletableFuture<>();
    CompletableFuture<Void> meta2 = new CompletableFuture<>();
    List<CompletableFuture<String>> results = onPid(() -> List.of(
        order.submit(1, () -> step("a", meta)),
        order.submit(1, () -> step("b", null)),
        order.submit(1, () -> step("c", meta2)),
        order.submit(1, () -> step("d", null)),
        order.submit(2, () -> step("other pid", null))));
    // the other pid is not held; the pid's thread is free (this task ran on it)
    assertThat(results.get(4).get(5, TimeUnit.SECONDS)).isEqualTo("other pid");
    assertThat(ran).containsExactly("a", "other pid");
    meta.complete(null);
    assertThat(results.get(1).get(5, TimeUnit.SECONDS)).isEqualTo("b");
    onPid(() -> List.of()); // the release ran: c started and waits again, d behind it
    assertThat(ran).containsExactly("a", "other pid", "b", "c");
    assertThat(results.get(3)).isNotDone();
    meta2.complete(null);
    assertThat(results.get(3).get(5, TimeUnit.SECONDS)).isEqualTo("d");
    assertThat(ran).containsExactly("a", "other pid", "b", "c", "d");
    for (CompletableFuture<String> r : results) assertThat(r).isCompleted();
  }

  @Test
  void aFailedCallReleasesTheOnesBehindIt() throws Exception {
    CompletableFuture<Void> meta = new CompletableFuture<>();
    List<CompletableFuture<String>> results = onPid(() -> List.of(
        order.submit(1, () -> step("a", meta)),
        order.submit(1, () -> step("b", null))));
    meta.completeExceptionally(new IllegalStateException("meta down"));
    assertThat(results.get(1).get(5, TimeUnit.SECONDS)).isEqualTo("b");
    assertThat(results.get(0)).isCompletedExceptionally();
  }

  private CompletableFuture<String> step(String name, CompletableFuture<Void> waitFor) {
    ran.add(name);
    if (waitFor == null) return CompletableFuture.completedFuture(name);
    return waitFor.thenApply(v -> name);
  }

  private <T> T onPid(Supplier<T> task) throws Exception {
    return ordered.submit(1, task).get(5, TimeUnit.SECONDS);
  }
}
