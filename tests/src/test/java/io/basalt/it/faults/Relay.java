package io.basalt.it.faults;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * Moves bytes one way through one proxied connection ({@code source} to {@code dest}) and applies the faults of
 * that direction. Every chunk read goes through a queue stamped with its release time (now + latency, but never
 * before the previous chunk, so jitter cannot reorder the stream); {@link #drain} hands due chunks to the
 * destination, sliced to what the bandwidth bucket grants (retained slices, no copies). Reading the source is
 * paused while the queue holds {@link #MAX_QUEUED} bytes or the destination is not writable, so a slow or
 * throttled path pushes back on the sender through TCP exactly like a slow link.
 *
 * <p>Dropped bytes (blackhole, one-way loss) are released at once and counted. A direction that dropped bytes is
 * <em>gapped</em>: TCP never delivers a stream with a hole, and forwarding one would hand the receiver's framing
 * garbage (a harness-made corruption a data checker would blame on Basalt). So once the direction forwards again,
 * the whole connection is closed instead, as a TCP connection that outlived its retransmissions would be.
 *
 * <p>Confined to the connection's event loop (both channels share it); not thread-safe by design.
 */
final class Relay {
  /** Bytes held (latency queue, throttle) before reading the source pauses. */
  static final long MAX_QUEUED = 1 << 20;

  private final FaultProxy proxy;
  private final ProxyConnection connection;
  private final Direction direction;
  private final Channel source;
  private final Channel dest;
  private final ArrayDeque<Chunk> queue = new ArrayDeque<>();
  private long queuedBytes;
  private long lastReleaseNanos = Long.MIN_VALUE;
  private ScheduledFuture<?> wakeup;
  private long wakeupAt;
  private boolean sourceClosed;
  private boolean gapped;
  private boolean closing;
  private boolean released;

  Relay(FaultProxy proxy, ProxyConnection connection, Direction direction, Channel source, Channel dest) {
    this.proxy = proxy;
    this.connection = connection;
    this.direction = direction;
    this.source = source;
    this.dest = dest;
  }

  /** A chunk read from the source; ownership passes to the relay. */
  void onRead(ByteBuf buf) {
    Faults faults = proxy.faultsFor(connection);
    if (released || buf.readableBytes() == 0) {
      buf.release();
      return;
    }
    if (faults.drops(direction)) {
      drop(buf);
      return;
    }
    long at = System.nanoTime() + faults.nextDelayNanos(direction);
    at = lastReleaseNanos == Long.MIN_VALUE ? at : Math.max(at, lastReleaseNanos);
    lastReleaseNanos = at;
    queue.add(new Chunk(buf, at));
    queuedBytes += buf.readableBytes();
    drain();
  }

  /** The source hit EOF or was closed: forward what is queued, then close the destination (after a flush). */
  void onSourceClosed() {
    sourceClosed = true;
    drain();
  }

  /** Forwards every due chunk the bucket allows, schedules the next attempt, then resumes reading if allowed. */
  void drain() {
    if (released) {
      return;
    }
    Faults faults = proxy.faultsFor(connection);
    if (faults.drops(direction)) {
      while (!queue.isEmpty()) {
        drop(queue.poll().buf);
      }
      queuedBytes = 0;
    } else if (gapped) {
      connection.closeGapped(direction);
      return;
    } else if (!dest.isActive()) {
      releaseAll();
      return;
    } else {
      forwardDue();
      if (queue.isEmpty() && sourceClosed && !closing) {
        closing = true;
        dest.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      }
    }
    maybeRead();
  }

  /** Asks the source for more bytes unless the queue is full or the destination pushes back. */
  void maybeRead() {
    if (released || sourceClosed || !source.isActive()) {
      return;
    }
    boolean discarding = proxy.faultsFor(connection).drops(direction);
    if (discarding || (queuedBytes < MAX_QUEUED && dest.isWritable())) {
      source.read();
    }
  }

  /** Makes every chunk held by latency due now (order kept), then forwards what the bucket allows. */
  void expedite() {
    if (released) {
      return;
    }
    long now = System.nanoTime();
    ArrayDeque<Chunk> due = new ArrayDeque<>(queue.size());
    for (Chunk c : queue) {
      due.add(new Chunk(c.buf, Math.min(c.at, now)));
    }
    queue.clear();
    queue.addAll(due);
    lastReleaseNanos = Math.min(lastReleaseNanos, now);
    drain();
  }

  /** Releases everything held; the connection is gone. Idempotent. */
  void releaseAll() {
    released = true;
    while (!queue.isEmpty()) {
      queue.poll().buf.release();
    }
    queuedBytes = 0;
    if (wakeup != null) {
      wakeup.cancel(false);
      wakeup = null;
    }
  }

  private void forwardDue() {
    boolean wrote = false;
    while (!queue.isEmpty() && dest.isWritable()) {
      Chunk head = queue.peek();
      long now = System.nanoTime();
      if (head.at > now) {
        wakeUpIn(head.at - now);
        break;
      }
      int want = head.buf.readableBytes();
      TokenBucket bucket = proxy.bucket(direction);
      long granted = bucket == null ? want : bucket.take(want);
      if (granted == 0) {
        wakeUpIn(Math.max(bucket.nanosUntilAvailable(want), 100_000));
        break;
      }
      ByteBuf out = granted == want ? queue.poll().buf : head.buf.readRetainedSlice((int) granted);
      queuedBytes -= granted;
      proxy.forwarded(direction, granted);
      dest.write(out).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
      wrote = true;
    }
    if (wrote) {
      dest.flush();
    }
    // not writable: channelWritabilityChanged of dest calls drain again
  }

  private void wakeUpIn(long nanos) {
    long at = System.nanoTime() + nanos;
    if (wakeup != null && !wakeup.isDone() && wakeupAt <= at) {
      return;
    }
    if (wakeup != null) {
      wakeup.cancel(false);
    }
    wakeupAt = at;
    wakeup = dest.eventLoop().schedule(() -> {
      wakeup = null;
      drain();
    }, nanos, TimeUnit.NANOSECONDS);
  }

  private void drop(ByteBuf buf) {
    int n = buf.readableBytes();
    buf.release();
    if (n > 0) {
      gapped = true;
      proxy.dropped(direction, n);
    }
  }

  private record Chunk(ByteBuf buf, long at) {}
}
