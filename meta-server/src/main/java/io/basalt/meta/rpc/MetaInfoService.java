package io.basalt.meta.rpc;

import io.basalt.meta.election.LeaderElector;
import io.basalt.meta.state.LeadershipState;
import io.basalt.meta.state.MetaState;
import io.basalt.proto.Envelope;
import io.basalt.proto.MetaInfoResponse;
import io.basalt.rpc.Frame;
import io.basalt.rpc.Reply;
import io.basalt.rpc.RpcHandler;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * Answers MetaInfo: who this meta server is (its RPC address, the election id), where it stands in the election,
 * the epoch it leads under and where it believes the leader is. Unlike every other meta RPC it never passes the
 * leader gate, so {@code basalt cluster status} can list followers, loading or suspended leaders alike. The RPC
 * server starts before the election (its address is the election id), so until {@link #attach} the answer is
 * state "starting". Never blocks the event loop: the leader hint is read afresh on the elector thread, and the
 * answer completes there.
 */
public final class MetaInfoService implements RpcHandler {
  static final String STARTING = "starting";

  /** The core's parts this service reads, once it joined the election. */
  private record Core(MetaState state, LeaderElector elector) {}

  private volatile String address = "";
  private volatile Core core;

  /** The RPC server is listening at {@code address}. */
  public void listening(String address) {
    this.address = address;
  }

  /** The core has joined the election: answer from its state and its elector's leader hint from now on. */
  public void attach(MetaState state, LeaderElector elector) {
    this.core = new Core(state, elector);
  }

  @Override
  public CompletableFuture<Reply> handle(Frame request) {
    Core c = core;
    if (c == null) {
      return CompletableFuture.completedFuture(reply(info()));
    }
    // A follower not asked for a while must not name a leader of the past: read the latch afresh (status calls
    // are rare, and the elector thread is never busy for long).
    return c.elector().freshLeaderHint().thenApply(hint -> reply(info(c, hint)));
  }

  private static Reply reply(MetaInfoResponse info) {
    return Reply.of(Envelope.newBuilder().setMetaInfoResponse(info));
  }

  /** The answer as of now, with the cached leader hint. */
  public MetaInfoResponse info() {
    Core c = core;
    return c == null ? MetaInfoResponse.newBuilder().setAddress(address).setState(STARTING).build()
        : info(c, c.elector().leaderHint());
  }

  private MetaInfoResponse info(Core c, String hint) {
    return MetaInfoResponse.newBuilder().setAddress(address).setState(stateName(c.state().state()))
        .setMetaEpoch(c.state().epoch()).setLeaderHint(hint == null ? "" : hint).build();
  }

  /** ACTIVE is "leader"; any other state (including ones added later) its lower-case name. */
  public static String stateName(LeadershipState state) {
    return state == LeadershipState.ACTIVE ? "leader" : state.name().toLowerCase(Locale.ROOT);
  }
}
