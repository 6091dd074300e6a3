package io.basalt.meta.state;

/**
 * One value per leadership term (like a {@code ThreadLocal} per thread): created by {@code factory} when the term
 * becomes active, null between terms. For components whose per-term state is a single table (recovery's
 * {@code RecoveryTable}). Thread: MetaLoop only.
 *
 * @param <T> the per-term value
 */
public final class TermLocal<T> implements TermState {
  /** Builds a term's value from its freshly loaded tables. */
  @FunctionalInterface
  public interface Factory<T> {
    T create(MetaTables tables, long epoch, long nowNanos);
  }

  private final Factory<T> factory;
  private T current;

  public TermLocal(Factory<T> factory) {
    this.factory = factory;
  }

  @Override
  public void onActive(MetaTables tables, long epoch, long nowNanos) {
    current = factory.create(tables, epoch, nowNanos);
  }

  @Override
  public void onDrop() {
    current = null;
  }

  /** This term's value; null when not leading (reads and mutations only run while leading, so never there). */
  public T get() {
    return current;
  }
}
