package io.basalt.client.volume;

import java.util.List;

/** Opens volumes by name for the NBD server (one {@link Volume} per export name, shared by connections). */
public interface VolumeProvider {
  /**
   * Opens (or returns the already open) volume. Throws {@link io.basalt.rpc.BasaltException} with
   * {@code NO_SUCH_VOLUME} for an unknown name, or another code when the cluster cannot be reached.
   */
  Volume open(String name);

  /**
   * Opens {@code name} for one user ({@code user} names it in logs, e.g. the NBD client's address). The volume's
   * {@link Volume#close()} ends that user's I/O. By default the same as {@link #open(String)}.
   */
  default Volume open(String name, String user) {
    return open(name);
  }

  /** Names of the volumes that can be exported. */
  List<String> list();
}
