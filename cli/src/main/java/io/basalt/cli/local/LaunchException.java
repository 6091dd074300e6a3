package io.basalt.cli.local;

import io.basalt.cli.core.CliException;
import java.util.List;

/** A local-cluster process failed to start or become ready; names the processes whose log tails explain why. */
public final class LaunchException extends CliException {
  private final List<ProcessRecord> culprits;

  public LaunchException(String message, List<ProcessRecord> culprits) {
    super(message);
    this.culprits = List.copyOf(culprits);
  }

  public List<ProcessRecord> culprits() {
    return culprits;
  }
}
