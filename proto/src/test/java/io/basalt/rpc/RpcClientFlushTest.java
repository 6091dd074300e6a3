package io.basalt.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import io.basalt.proto.Envelope;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.GetVolumeRequest;
import io.basalt.proto.ReadResponse;
import io.basalt.proto.VolumeInfo;
import io.basalt.proto.VolumeResponse;
import io.basalt.proto.WriteRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The client's consolidated flushes: calls written in one event-loop turn, or handed over from other threads, are
 * all sent (one flush for many), each keeps its own deadline, and callbacks complete once.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RpcClientFlushTest {
  private final MetricRegistry registry = new MetricRegistry();
  private final CompletableFuture<Reply> never = new CompletableFuture<>();
  private final AtomicInteger received = new AtomicInteger();
  private RpcServer server;
  private EventLoopGroup loops;
  private RpcClientFactory clients;

  @BeforeEach
  void start() {
    server = RpcServer.builder("test").bind("127.0.0.1", 0).metrics(registry)
        .limits(new FrameLimits(4 << 20, 4096))
        .handle(Envelope.BodyCase.GET_VOLUME, req -> {
          received.incrementAndGet();
          String name = req.header().getGetVolume().getName();
          if (name.startsWith("slow")) {
            return never;
          }
          return CompletableFuture.completedFuture(Reply.of(Envelope.newBuilder().setVolumeResponse(
              VolumeResponse.newBuilder().setVolume(VolumeInfo.newBuilder().setName(name)))));
        })
        .handle(Envelope.BodyCase.WRITE, req -> CompletableFuture.completedFuture(Reply.of(Envelope.newBuilder()
            .setReadResponse(ReadResponse.newBuilder().setGen(req.header().getWrite().getLength())),
            req.data().retainedDuplicate())))
        .build().start();
    loops = NettyTransport.group("flush-test", 1);
    clients = new RpcClientFactory("test", registry, loops);
  }

  @AfterEach
  void stop() {
    clients.close();
    server.close();
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static Envelope.Builder getVolume(String name) {
    return Envelope.newBuilder().setGetVolume(GetVolumeRequest.newBuilder().setName(name));
  }

  @Test
  void callsWrittenInOneLoopTurnAreAllSentAndEachKeepsItsDeadline() throws Exception {
    RpcClient c = clients.client(server.address());
    c.call(getVolume("warm"), Duration.ofSeconds(5)).join(); // connected, so the calls below write at once
    int n = 200;
    List<String> answered = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger callbacks = new AtomicInteger();
    CompletableFuture<Throwable> slow = new CompletableFuture<>();
    AtomicInteger slowCallbacks = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(n + 1);
    long start = System.nanoTime();
    loops.next().execute(() -> {
      for (int i = 0; i < n; i++) {
        c.call(getVolume("v" + i), null, Duration.ofSeconds(10), (reply, error) -> {
          callbacks.incrementAndGet();
          if (reply != null) {
            answered.add(reply.header().getVolumeResponse().getVolume().getName());
            reply.release();
          }
          done.countDown();
        });
      }
      c.call(getVolume("slow"), null, Duration.ofMillis(300), (reply, error) -> {
        slowCallbacks.incrementAndGet();
        if (reply != null) reply.release();
        slow.complete(error);
        done.countDown();
      });
    });
    assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
    assertThat(answered).hasSize(n);
    assertThat(callbacks.get()).isEqualTo(n);
    Throwable timeout = slow.get();
    assertThat(BasaltException.of(timeout).code()).isEqualTo(ErrorCode.TIMEOUT);
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(290));
    assertThat(received.get()).isEqualTo(n + 2);
    // The timed-out call's reply arrives late; a call sent after it is answered after it on the same connection,
    // so once that answer is in, the late reply has been handled, and it must not have run a callback again.
    never.complete(Reply.of(Envelope.newBuilder()
        .setVolumeResponse(VolumeResponse.newBuilder().setVolume(VolumeInfo.newBuilder().setName("slow")))));
    c.call(getVolume("after"), Duration.ofSeconds(5)).join();
    assertThat(callbacks.get()).as("each callback runs once").isEqualTo(n);
    assertThat(slowCallbacks.get()).as("the timed-out call's callback ran once").isEqualTo(1);
  }

  @Test
  void callsFromManyThreadsAreHandedOverAndAllComplete() throws Exception {
    RpcClient c = clients.client(server.address());
    int threads = 4;
    int each = 250;
    List<CompletableFuture<Envelope>> all = Collections.synchronizedList(new ArrayList<>());
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread th = new Thread(() -> {
        for (int i = 0; i < each; i++) {
          all.add(c.call(getVolume("t" + id + "-" + i), Duration.ofSeconds(10)));
        }
      });
      ts.add(th);
      th.start();
    }
    for (Thread th : ts) {
      th.join();
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    assertThat(all).hasSize(threads * each);
  }

  /** A 1 MiB reply, gathered from many socket reads as a composite, arrives whole. */
  @Test
  void largePayloadsRoundTrip() {
    RpcClient c = clients.client(server.address());
    byte[] payload = new byte[1 << 20];
    new Random(11).nextBytes(payload);
    for (int i = 0; i < 3; i++) {
      ByteBuf data = Unpooled.directBuffer(payload.length).writeBytes(payload);
      Frame f = c.call(Envelope.newBuilder().setWrite(WriteRequest.newBuilder().setLength(payload.length)), data,
          Duration.ofSeconds(10)).join();
      try {
        assertThat(f.header().getReadResponse().getGen()).isEqualTo(payload.length);
        assertThat(ByteBufUtil.getBytes(f.data())).isEqualTo(payload);
      } finally {
        f.release();
      }
    }
  }
}
