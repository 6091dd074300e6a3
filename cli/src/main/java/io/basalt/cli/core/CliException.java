package io.basalt.cli.core;

import io.basalt.rpc.BasaltException;

/**
 * A failure the CLI explains in one line ("error: message", exit code 1) without a stack trace: a missing state
 * file, a busy port, a process that would not start. Errors from the cluster itself arrive as
 * {@link BasaltException} and are printed with their code instead.
 */
public class CliException extends RuntimeException {
  public CliException(String message) {
    super(message);
  }

  public CliException(String message, Throwable cause) {
    super(message, cause);
  }
}
