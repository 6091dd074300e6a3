package io.basalt.meta.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import io.basalt.meta.store.FencingToken;
import io.basalt.meta.store.MetaImage;
import io.basalt.meta.store.MetaStore;
import io.basalt.meta.store.MutationBatch;
import io.basalt.proto.ChunkRecord;
import io.basalt.proto.ChunkStatus;
import io.basalt.proto.IdCounters;
import io.basalt.rpc.BasaltException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The per-term hook: every component's state of a term is created with the term's tables, before the leader serves,
 * and dropped with them; a failed commit also asks the election to rejoin. No ZooKeeper: a store that answers
 * commits as told, on a fake clock (no pause is ever suspected).
 */
@Timeout(30)
class MetaStateTermTest {
  private final long now = 1_000_000_000L;
  private final MetaLoop loop = new MetaLoop();
  private final FakeStore store = new FakeStore();
  private final FakeElection election = new FakeElection();
  private final List<String> events = new ArrayList<>();
  private MetaState state;

  /** Records its calls; checks it is called on the loop, before the leader turns ACTIVE. */
  private final class Recorder implements TermState {
    private final String name;

    Recorder(String name) {
      this.name = name;
    }

    @Override
    public void onActive(MetaTables tables, long epoch, long nowNanos) {
      assertThat(loop.inLoop()).isTrue();
      events.add(name + " active epoch=" + epoch + " chunks=" + tables.chunks().size() + " at=" + nowNanos
          + " state=" + state.state());
    }

    @Override
    public void onDrop() {
      assertThat(loop.inLoop()).isTrue();
      events.add(name + " drop state=" + state.state());
    }
  }

  private MetaState newState() {
    state = new MetaState("m1", store, loop, () -> now, election, new MetaMetrics(new MetricRegistry()),
        List.of(new Recorder("sessions"), new Recorder("recovery")),
        new PauseDetector(() -> now, Duration.ofSeconds(1)));
    return state;
  }

  @AfterEach
  void close() {
    loop.close();
  }

  private static MetaImage image() {
    return new MetaImage("c", MetaImage.FIRST_IDS.toBuilder().setNextCid(3).build(),
        List.of(chunk(1), chunk(2)), List.of(), Map.of(), List.of());
  }

  private static ChunkRecord chunk(int cid) {
    return ChunkRecord.newBuilder().setCid(cid).setAddress("127.0.0.1:" + (9000 + cid))
        .setStatus(ChunkStatus.HEALTHY).build();
  }

  private void activate(long epoch) {
    long term = state.beginLoading().join();
    assertThat(state.activate(term, new FencingToken(epoch, 1), image()).join()).isTrue();
  }

  @Test
  void componentsStartWithTheTablesBeforeTheLeaderServesAndDropWithThem() {
    newState();
    activate(7);
    assertThat(state.state()).isEqualTo(LeadershipState.ACTIVE);
    assertThat(events).containsExactly(
        "sessions active epoch=7 chunks=2 at=" + now + " state=LOADING",
        "recovery active epoch=7 chunks=2 at=" + now + " state=LOADING");

    events.clear();
    state.stepDown("test").join();
    assertThat(events).containsExactly("sessions drop state=FOLLOWER", "recovery drop state=FOLLOWER");
    assertThat(election.rejoins).hasValue(0);

    events.clear();
    activate(8);
    assertThat(events).containsExactly(
        "sessions active epoch=8 chunks=2 at=" + now + " state=LOADING",
        "recovery active epoch=8 chunks=2 at=" + now + " state=LOADING");
  }

  @Test
  void aFailedCommitDropsTheTermAndAsksTheElectionToRejoin() {
    newState();
    activate(7);
    events.clear();
    store.next = CompletableFuture.failedFuture(new IllegalStateException("connection loss"));
    CompletableFuture<Object> r = state.mutate("test", t -> Plan.of(new MutationBatch().putIds(
        IdCounters.newBuilder().setNextCid(9).build()), () -> null));
    assertThatThrownBy(r::join).isInstanceOf(CompletionException.class).hasCauseInstanceOf(BasaltException.class);
    state.read(t -> t).exceptionally(e -> null).join(); // the step-down ran before this on the loop
    assertThat(state.state()).isEqualTo(LeadershipState.FOLLOWER);
    assertThat(events).containsExactly("sessions drop state=FOLLOWER", "recovery drop state=FOLLOWER");
    assertThat(election.rejoins).hasValue(1);
  }

  /** A store that loads nothing itself and answers each commit with {@link #next}. */
  private static final class FakeStore implements MetaStore {
    volatile CompletableFuture<Void> next = CompletableFuture.completedFuture(null);

    @Override
    public void ensureLayout() {}

    @Override
    public FencingToken claimLeadership() {
      throw new UnsupportedOperationException();
    }

    @Override
    public MetaImage load() {
      throw new UnsupportedOperationException();
    }

    @Override
    public CompletableFuture<Void> commit(MutationBatch batch) {
      return next;
    }

    @Override
    public void publishActive(String address) {}

    @Override
    public void releaseLeadership(String address) {}

    @Override
    public FencingToken token() {
      return null;
    }

    @Override
    public void close() {}
  }

  private static final class FakeElection implements Election {
    final AtomicInteger rejoins = new AtomicInteger();

    @Override
    public String leaderHint() {
      return "";
    }

    @Override
    public void verify(long round) {}

    @Override
    public void rejoin() {
      rejoins.incrementAndGet();
    }
  }
}
