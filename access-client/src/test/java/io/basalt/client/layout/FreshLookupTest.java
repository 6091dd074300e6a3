package io.basalt.client.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class FreshLookupTest {
  /** Every lookup started, unanswered until the test completes it. */
  private final List<CompletableFuture<Void>> started = new ArrayList<>();
  private final FreshLookup lookups = new FreshLookup(() -> {
    CompletableFuture<Void> f = new CompletableFuture<>();
    started.add(f);
    return f;
  });

  @Test
  void aLookupStartsAtOnceWhenNoneIsInFlight() {
    CompletableFuture<Void> a = lookups.request();
    assertThat(started).hasSize(1);
    started.get(0).complete(null);
    assertThat(a).isCompleted();

    CompletableFuture<Void> b = lookups.request();
    assertThat(started).as("the finished lookup is not reused").hasSize(2);
    assertThat(b).isNotDone();
  }

  @Test
  void aLookupInFlightBeforeTheRequestArrivedIsNotReused() {
    CompletableFuture<Void> early = lookups.request();
    CompletableFuture<Void> late = lookups.request();
    assertThat(started).as("the late one waits: nothing sent yet").hasSize(1);

    started.get(0).complete(null);
    assertThat(early).isCompleted();
    assertThat(late).as("answered only by a lookup sent after it asked").isNotDone();
    assertThat(started).as("sent as soon as the first ended").hasSize(2);

    started.get(1).complete(null);
    assertThat(late).isCompleted();
  }

  @Test
  void requestsArrivingDuringALookupShareOneQueuedLookup() {
    List<CompletableFuture<Void>> waiting = new ArrayList<>();
    CompletableFuture<Void> first = lookups.request();
    for (int i = 0; i < 100; i++) {
      waiting.add(lookups.request());
    }
    started.get(0).complete(null);
    CompletableFuture<Void> duringSecond = lookups.request();
    started.get(1).complete(null);

    assertThat(first).isCompleted();
    assertThat(waiting).allMatch(CompletableFuture::isDone);
    assertThat(duringSecond).isNotDone();
    assertThat(started).as("one in flight plus one queued at a time").hasSize(3);
    started.get(2).complete(null);
    assertThat(duringSecond).isCompleted();
  }

  @Test
  void aFailedLookupFailsItsCallersAndTheQueuedOneStillRuns() {
    CompletableFuture<Void> a = lookups.request();
    CompletableFuture<Void> b = lookups.request();
    started.get(0).completeExceptionally(new IllegalStateException("meta unavailable"));
    assertThatThrownBy(a::join).isInstanceOf(CompletionException.class).hasMessageContaining("meta unavailable");
    assertThat(started).hasSize(2);
    started.get(1).complete(null);
    assertThat(b).isCompleted();
  }

  @Test
  void aLookupThatThrowsOnStartFailsItsCallersAndFreesTheSlot() {
    FreshLookup throwing = new FreshLookup(() -> {
      throw new IllegalStateException("closed");
    });
    assertThatThrownBy(() -> throwing.request().join()).hasMessageContaining("closed");
    assertThatThrownBy(() -> throwing.request().join()).hasMessageContaining("closed");
  }
}
