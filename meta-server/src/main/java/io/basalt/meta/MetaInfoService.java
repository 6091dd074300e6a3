package io.basalt.meta;

import io.basalt.meta.service.LeadershipState;
import io.basalt.proto.Envelope;
import io.basalt.proto.MetaInfoResponse;
import io.basalt.rpc.Frame;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcHandler;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Answers MetaInfo: who this meta server is (its RPC address, the election id), where it stands in the election,
 * the epoch it leads under and where it believes the leader is. Unlike every other meta RPC it never passes the
 * leader gate, so {@code basalt cluster status} can list followers, loading or suspended leaders alike. The RPC
 * server starts before the election (its address is the election id), so until {@link #attach} the answer is
 * state "starting". Reads volatile getters only: any thread, never blocks (the leader hint refreshes itself in
 * the background; the answer waits a moment for that on a timer, not on the event loop).
 */
public final class MetaInfoService implements RpcHandler {
  static final String STARTING = "starting";
  private static final long HINT_SETTLE_MS = 200;

  private volatile String address = "";
  private volatile MetaCore core;

  /** The RPC server is listening at {@code address}. */
  public void listening(String address) {
    this.address = address;
  }

  /** The core has joined the election: answer from its state from now on. */
  public void attach(MetaCore core) {
    this.core = core;
  }

  @Override
  public CompletableFuture<Reply> handle(Frame request) {
    MetaCore c = core;
    if (c == null) {
      return CompletableFuture.completedFuture(reply());
    }
    // Reading the hint starts a refresh when it is older than a second; answer once that had time to land, so a
    // follower that was not asked for a while does not name a leader of the past (status calls are rare).
    c.elector().leaderHint();
    return CompletableFuture.supplyAsync(this::reply, CompletableFuture.delayedExecutor(HINT_SETTLE_MS,
        TimeUnit.MILLISECONDS));
  }

  private Reply reply() {
    return Reply.of(Envelope.newBuilder().setMetaInfoResponse(info()));
  }

  /** The answer as of now. */
  public MetaInfoResponse info() {
    MetaInfoResponse.Builder b = MetaInfoResponse.newBuilder().setAddress(address);
    MetaCore c = core;
    if (c == null) {
      return b.setState(STARTING).build();
    }
    String hint = c.elector().leaderHint();
    return b.setState(stateName(c.state())).setMetaEpoch(c.metaState().epoch())
        .setLeaderHint(hint == null ? "" : hint).build();
  }

  /** ACTIVE is "leader"; any other state (including ones added later) its lower-case name. */
  public static String stateName(LeadershipState state) {
    return state == LeadershipState.ACTIVE ? "leader" : state.name().toLowerCase(Locale.ROOT);
  }
}
