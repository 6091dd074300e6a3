package io.basalt.meta.state;

import io.basalt.meta.store.MutationBatch;
import java.util.function.Supplier;

/**
 * A planned mutation: the records to write and what to do to the tables once ZooKeeper confirmed them.
 * {@code apply} runs on the MetaLoop, only after a successful commit (or at once when the batch is empty), and
 * returns the operation's answer.
 */
public record Plan<T>(MutationBatch batch, Supplier<T> apply) {
  /** Nothing to write: answer from the tables as they are. */
  public static <T> Plan<T> done(Supplier<T> answer) {
    return new Plan<>(new MutationBatch(), answer);
  }

  public static <T> Plan<T> of(MutationBatch batch, Supplier<T> apply) {
    return new Plan<>(batch, apply);
  }
}
