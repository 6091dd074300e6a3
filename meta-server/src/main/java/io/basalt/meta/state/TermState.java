package io.basalt.meta.state;

/**
 * The soft state a component keeps for one leadership term, created when the term's tables are loaded and dropped
 * when leadership ends. The core owns no component's per-term state: each component builds its own here (sessions
 * their {@code SessionTable}, recovery its {@code RecoveryTable}; later scrub and snapshot), and the wiring hands
 * the components to {@link MetaState} in dependency order, so the core never imports a component.
 *
 * <p>Thread: both methods run on the {@link MetaLoop}, inside the same loop task that installs (or drops) the
 * term's {@link MetaTables}: every read or mutation of the term sees the tables and every component's state
 * together, and none sees them apart. They must not block or hop threads.
 */
public interface TermState {
  /**
   * The term starts serving: the tables were just loaded from ZooKeeper under fencing epoch {@code epoch}, and
   * nothing has read them yet. Called in registration order, before the leader turns ACTIVE.
   */
  void onActive(MetaTables tables, long epoch, long nowNanos);

  /** The term ended (step-down, suspension while loading, a failed commit): forget everything of it. */
  void onDrop();
}
