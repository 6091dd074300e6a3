package io.basalt.session;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The highest meta epoch this process has seen in a meta answer, shared by every {@link MetaClient} of one
 * {@link MetaLocator} (a chunk server has several). An answer stamped with a non-zero epoch below it comes from a
 * deposed leader that has not noticed yet, and must not be acted on (its "pid deleted" would delete a replica the
 * new leader still counts). Epoch 0 is a server that does not lead (a follower's NOT_LEADER): accepted. Thread-safe.
 */
public final class MetaEpochFence {
  private static final Logger log = LoggerFactory.getLogger(MetaEpochFence.class);
  private final AtomicLong seen = new AtomicLong();
  private final Counter refused = new Counter();

  /**
   * Records an answer's epoch from {@code address}; false when it is stale (older than one seen), which is logged
   * and counted.
   */
  public boolean admit(long epoch, String address, Object what) {
    if (epoch == 0) {
      return true;
    }
    long before = seen.getAndAccumulate(epoch, Math::max);
    if (epoch >= before) {
      if (epoch > before && before != 0) {
        log.info("meta epoch advanced epoch={} from={} address={}", epoch, before, address);
      }
      return true;
    }
    refused.inc();
    log.warn("refused an answer from a stale meta leader epoch={} seenEpoch={} address={} call={}", epoch, before,
        address, what);
    return false;
  }

  /** The highest meta epoch seen (0 before the first stamped answer). */
  public long seen() {
    return seen.get();
  }

  /** Answers refused as stale so far. */
  public long refused() {
    return refused.getCount();
  }

  /** Exposes {@code basalt_meta_epoch_seen} and {@code basalt_meta_stale_answers_refused}; idempotent. */
  public MetaEpochFence register(MetricRegistry registry) {
    registry.gauge("basalt_meta_epoch_seen", () -> () -> seen.get());
    registry.counter("basalt_meta_stale_answers_refused", () -> refused);
    return this;
  }
}
