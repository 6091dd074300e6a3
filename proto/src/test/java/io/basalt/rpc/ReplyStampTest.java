package io.basalt.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.GetVolumeRequest;
import io.basalt.proto.ListVolumesRequest;
import io.basalt.proto.VolumeResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A server's reply stamp reaches OK replies, handler errors and UNKNOWN_METHOD, and the client's exceptions. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReplyStampTest {
  private static final Duration DEADLINE = Duration.ofSeconds(5);
  private final AtomicLong epoch = new AtomicLong(9);
  private RpcServer server;
  private RpcClientFactory clients;

  @AfterEach
  void stop() {
    if (clients != null) clients.close();
    if (server != null) server.close();
  }

  private RpcClient start() {
    server = RpcServer.builder("stamped").bind("127.0.0.1", 0)
        .handle(Envelope.BodyCase.GET_VOLUME, req -> req.header().getGetVolume().getName().equals("missing")
            ? CompletableFuture.failedFuture(new BasaltException(ErrorCode.NO_SUCH_VOLUME, "gone"))
            : CompletableFuture.completedFuture(Reply.of(Envelope.newBuilder()
                .setVolumeResponse(VolumeResponse.getDefaultInstance()))))
        .replyStamp(() -> {
          long atDispatch = epoch.get();
          return reply -> reply.setMetaEpoch(atDispatch);
        })
        .build().start();
    clients = new RpcClientFactory("test", new MetricRegistry());
    return clients.client(server.address());
  }

  private static Envelope.Builder get(String name) {
    return Envelope.newBuilder().setGetVolume(GetVolumeRequest.newBuilder().setName(name));
  }

  @Test
  void stampsOkAndErrorReplies() {
    RpcClient client = start();
    assertThat(client.call(get("v"), DEADLINE).join().getMetaEpoch()).isEqualTo(9);
    epoch.set(11);
    assertThatThrownBy(() -> client.call(get("missing"), DEADLINE).join())
        .satisfies(e -> {
          BasaltException b = BasaltException.of(e);
          assertThat(b.code()).isEqualTo(ErrorCode.NO_SUCH_VOLUME);
          assertThat(b.metaEpoch()).isEqualTo(11);
        });
    assertThatThrownBy(() -> client.call(Envelope.newBuilder().setListVolumes(
        ListVolumesRequest.getDefaultInstance()), DEADLINE).join())
        .satisfies(e -> {
          BasaltException b = BasaltException.of(e);
          assertThat(b.code()).isEqualTo(ErrorCode.UNKNOWN_METHOD);
          assertThat(b.metaEpoch()).isEqualTo(11);
        });
  }

  @Test
  void unstampedServerRepliesCarryEpochZero() {
    server = RpcServer.builder("plain").bind("127.0.0.1", 0)
        .handle(Envelope.BodyCase.GET_VOLUME, req -> CompletableFuture.failedFuture(
            new BasaltException(ErrorCode.NO_SUCH_VOLUME, "gone")))
        .build().start();
    clients = new RpcClientFactory("test", new MetricRegistry());
    assertThatThrownBy(() -> clients.client(server.address()).call(get("v"), DEADLINE).join())
        .satisfies(e -> assertThat(BasaltException.of(e).metaEpoch()).isZero());
  }
}
