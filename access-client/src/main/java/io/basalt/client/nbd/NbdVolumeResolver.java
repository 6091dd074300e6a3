package io.basalt.client.nbd;

import io.basalt.client.volume.Volume;
import io.basalt.client.volume.VolumeProvider;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * Turns export names into volumes for the handshake. {@link VolumeProvider} may block on the cluster, so its calls
 * run on a separate executor and never on an event loop; the empty name maps to the configured default export.
 */
final class NbdVolumeResolver {
  private final VolumeProvider volumes;
  private final Executor blocking;
  private final String defaultExport;

  NbdVolumeResolver(VolumeProvider volumes, Executor blocking, String defaultExport) {
    this.volumes = volumes;
    this.blocking = blocking;
    this.defaultExport = defaultExport;
  }

  /** The volume for an export name; fails with NO_SUCH_VOLUME for unknown names (and "" without a default). */
  CompletableFuture<Volume> open(String exportName) {
    String name = exportName.isEmpty() ? defaultExport : exportName;
    if (name == null) {
      return CompletableFuture.failedFuture(
          new BasaltException(ErrorCode.NO_SUCH_VOLUME, "empty export name and no default export"));
    }
    return call(() -> volumes.open(name, "nbd client"));
  }

  CompletableFuture<List<String>> list() {
    return call(volumes::list);
  }

  private <T> CompletableFuture<T> call(Supplier<T> call) {
    try {
      return CompletableFuture.supplyAsync(call, blocking);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(new BasaltException(ErrorCode.UNAVAILABLE, "NBD server is closing"));
    }
  }

  /** The text a client shows its user when an export cannot be served. */
  static String refusal(String exportName, Throwable error) {
    BasaltException e = BasaltException.of(error);
    if (e.code() == ErrorCode.NO_SUCH_VOLUME) {
      return exportName.isEmpty() ? "no such volume: \"\" (no default export configured)"
          : "no such volume: " + exportName;
    }
    return "volume " + exportName + " is unavailable: " + e.getMessage();
  }
}
