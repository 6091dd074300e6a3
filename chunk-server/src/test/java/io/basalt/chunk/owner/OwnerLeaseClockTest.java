package io.basalt.chunk.owner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.Counter;
import io.basalt.chunk.core.LocalChunk;
import io.basalt.chunk.session.SessionLease;
import io.basalt.chunk.store.ExtentEpoch;
import io.basalt.common.ManualClock;
import io.basalt.failpoint.Failpoints;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.WriteKind;
import io.basalt.proto.WriteRequest;
import io.basalt.rpc.BasaltException;
import io.basalt.session.SessionConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The owner's lease check on the chunk's clock (DESIGN.md "Sessions and leases"): once the local lease measured on
 * the injected clock has run out, the owner takes no lease and acknowledges no write; a keepalive answer renews it
 * and writes are acknowledged again. Driven by a {@link ManualClock}: no sleeps.
 */
class OwnerLeaseClockTest {
  private static final long PID = 9;
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String UUID = "session-1";
  private static final long SESSION_EPOCH = 1001;

  private final ManualClock clock = new ManualClock();
  private final SessionConfig cfg = SessionConfig.of(Duration.ofSeconds(1), TIMEOUT); // drift margin 1 s
  private final SessionLease lease = new SessionLease(cfg, new LocalChunk(), clock);
  private final Counter refused = new Counter();

  /** A keepalive sent now and answered now: the local lease runs to now + timeout - drift margin. */
  private void keepaliveAnswered() {
    long now = clock.nanoTime();
    lease.state().answered(now, UUID, SESSION_EPOCH, TIMEOUT.toNanos(), now);
  }

  /** One write through the owner's acknowledgement: the local apply is its only ack. */
  private CompletableFuture<Long> ackedWrite(long gen) {
    WriteRequest req = WriteRequest.newBuilder().setPid(PID).setLength(4096).setKind(WriteKind.WRITE_ZEROES).build();
    OwnerWrite w = new OwnerWrite(req, null, 0, List.of());
    w.assign(gen, 1, lease, new ExtentEpoch(PID, 3), SESSION_EPOCH, Failpoints.fromSystemProperty(), refused);
    w.acked();
    return w.future();
  }

  @Test
  void writesAreRefusedOnceTheLocalLeaseLapsedAndAcceptedAgainAfterRenewal() {
    keepaliveAnswered();
    assertThat(lease.current()).isEqualTo(new OwnerLease.Session(UUID, SESSION_EPOCH));
    assertThat(ackedWrite(1)).isCompletedWithValue(1L);

    clock.advance(TIMEOUT.minus(cfg.driftMargin()).minusNanos(1)); // the last nanosecond of the lease
    assertThat(lease.valid(SESSION_EPOCH)).isTrue();
    assertThat(ackedWrite(2)).isCompletedWithValue(2L);

    clock.advance(Duration.ofNanos(1)); // lapsed on the chunk's clock; no keepalive answered meanwhile
    assertThat(lease.valid(SESSION_EPOCH)).isFalse();
    CompletableFuture<Long> late = ackedWrite(3);
    assertThat(late).isCompletedExceptionally();
    assertThat(BasaltException.of(late.handle((v, e) -> e).join()).code()).isEqualTo(ErrorCode.NOT_OWNER);
    assertThat(refused.getCount()).isEqualTo(1);
    assertThatThrownBy(lease::current).isInstanceOfSatisfying(BasaltException.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SESSION)); // no new lease is taken either

    keepaliveAnswered(); // renewal: a keepalive sent after the lapse is answered
    assertThat(lease.valid(SESSION_EPOCH)).isTrue();
    assertThat(lease.current().epoch()).isEqualTo(SESSION_EPOCH);
    assertThat(ackedWrite(4)).isCompletedWithValue(4L);
    assertThat(refused.getCount()).isEqualTo(1);
  }

  @Test
  void aLeaseHeldUnderAnotherSessionEpochIsNotValid() {
    keepaliveAnswered();
    assertThat(lease.valid(SESSION_EPOCH - 1)).isFalse();
  }
}
