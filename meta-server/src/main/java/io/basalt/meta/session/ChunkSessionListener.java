package io.basalt.meta.session;

import io.basalt.meta.state.MetaTables;
import io.basalt.proto.KeepAliveRequest;
import io.basalt.proto.KeepAliveResponse;
import io.basalt.session.SessionTable;

/**
 * What the session component tells a component that follows chunk sessions (recovery): a chunk's keepalive, whose
 * answer it may add to, and the end of a chunk session. The listener depends on the session component, never the
 * other way round. Thread: MetaLoop only; must not block (it may queue mutations).
 */
public interface ChunkSessionListener {
  /** Chunk session {@code s} kept alive with {@code req}; soft, never waits for ZooKeeper. */
  void keepAlive(MetaTables t, SessionTable.Session s, KeepAliveRequest req, KeepAliveResponse.Builder answer,
      long nowNanos);

  /** Chunk session {@code s} ended (expired, even in jeopardy, or superseded). */
  void sessionEnded(MetaTables t, SessionTable.Session s, String why);
}
