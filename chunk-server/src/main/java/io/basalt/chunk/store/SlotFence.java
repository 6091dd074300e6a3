package io.basalt.chunk.store;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * What keeps a reader off the pid's writer thread from reporting a slot being rewritten as corruption. A reader
 * notes {@link #commits()} before it reads and retries a CRC mismatch if a commit happened meanwhile. A pid whose
 * blocks are rewritten back to back can make a reader lose that race every time, so its last attempt holds
 * {@link #quiet} instead: writers hold {@link #writing} from their first data write to their commit, so no slot of
 * the pid changes under that attempt, and a mismatch then is real.
 *
 * <p>Pids share 64 lock stripes: a writer takes its stripe's shared side (uncontended unless a reader is on its last
 * attempt), a last-attempt reader the exclusive side.
 */
final class SlotFence {
  private static final int STRIPES = 64;
  private final AtomicLong commits = new AtomicLong();
  private final ReentrantReadWriteLock[] stripes = new ReentrantReadWriteLock[STRIPES];

  SlotFence() {
    for (int i = 0; i < STRIPES; i++) stripes[i] = new ReentrantReadWriteLock();
  }

  /** Commits so far: a reader compares it before and after a read. */
  long commits() {
    return commits.get();
  }

  /** After a writer's batch is written. */
  void committed() {
    commits.incrementAndGet();
  }

  /** Held by a writer of {@code pid} from its first data write until {@link #committed}. */
  Lock writing(long pid) {
    return stripe(pid).readLock();
  }

  /** Held by a reader's last attempt: no write of {@code pid} is between its data writes and its commit. */
  Lock quiet(long pid) {
    return stripe(pid).writeLock();
  }

  private ReentrantReadWriteLock stripe(long pid) {
    return stripes[(int) ((pid ^ (pid >>> 32)) & (STRIPES - 1))];
  }
}
