package io.basalt.client;

import io.basalt.client.io.IoScope;
import io.basalt.client.volume.IoCallback;
import io.basalt.client.volume.Volume;
import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * One user's view of a shared {@link ClusterVolume} (one NBD connection): the same I/O, in the user's own
 * {@link IoScope}. {@link #close()} cancels that scope: nothing of this user is attempted again, and the volume
 * tracks the attempts still on the wire until they end (DESIGN.md "Write path" 5). Thread-safe.
 */
public final class VolumeHandle implements Volume {
  private final ClusterVolume volume;
  private final IoScope scope;

  VolumeHandle(ClusterVolume volume, IoScope scope) {
    this.volume = volume;
    this.scope = scope;
  }

  /** The shared volume behind this handle. */
  public ClusterVolume shared() {
    return volume;
  }

  public IoScope scope() {
    return scope;
  }

  public long vid() {
    return volume.vid();
  }

  /** Pids written since their last successful flush (for tests and status). */
  public int dirtyExtents() {
    return volume.dirtyExtents();
  }

  @Override
  public String name() {
    return volume.name();
  }

  @Override
  public long size() {
    return volume.size();
  }

  @Override
  public int blockSize() {
    return volume.blockSize();
  }

  @Override
  public CompletableFuture<ByteBuf> read(long offset, int length) {
    return volume.read(offset, length, scope);
  }

  @Override
  public CompletableFuture<Void> write(long offset, ByteBuf data, boolean fua) {
    return volume.write(offset, data, fua, scope);
  }

  @Override
  public void read(long offset, int length, IoCallback<ByteBuf> done) {
    volume.read(offset, length, scope, done);
  }

  @Override
  public void write(long offset, ByteBuf data, boolean fua, IoCallback<Void> done) {
    volume.write(offset, data, fua, scope, done);
  }

  @Override
  public CompletableFuture<Void> flush() {
    return volume.flush(scope);
  }

  @Override
  public CompletableFuture<Void> trim(long offset, long length) {
    return volume.trim(offset, length, scope);
  }

  @Override
  public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
    return volume.writeZeroes(offset, length, fua, scope);
  }

  /** Cancels this user's I/O; idempotent. */
  @Override
  public void close() {
    volume.closed(scope);
  }

  @Override
  public String toString() {
    return "VolumeHandle{" + volume + ", " + scope + "}";
  }
}
