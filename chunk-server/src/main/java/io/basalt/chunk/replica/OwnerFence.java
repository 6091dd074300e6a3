package io.basalt.chunk.replica;

import io.basalt.chunk.store.ExtentEpoch;

/**
 * How replica apply tells the local owner that another chunk owns an extent at a newer epoch: this chunk, if it
 * still owns the pid below {@code epoch}, steps down (its acks would be refused anyway). The wiring passes
 * {@code OwnerTable::stepDownBelow}; replica never imports the owner component (they are siblings above recovery).
 *
 * <p>Thread: the pid's ordered thread (the caller's).
 */
@FunctionalInterface
public interface OwnerFence {
  /** Steps the local owner of {@code newer.pid()} down if it holds an epoch below {@code newer.epoch()}. */
  void stepDownBelow(ExtentEpoch newer, String reason);

  /** No local owner to fence (unit tests of replica apply). */
  OwnerFence NONE = (newer, reason) -> {};
}
