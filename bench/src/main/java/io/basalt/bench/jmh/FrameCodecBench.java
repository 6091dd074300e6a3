package io.basalt.bench.jmh;

import io.basalt.proto.Envelope;
import io.basalt.proto.WriteKind;
import io.basalt.proto.WriteRequest;
import io.basalt.rpc.Frame;
import io.basalt.rpc.FrameLimits;
import io.basalt.rpc.FrameDecoder;
import io.basalt.rpc.FrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The RPC frame codec on the write path: a WriteRequest header with 4 KiB of data through {@link FrameEncoder}
 * and back through {@link FrameDecoder}, in Netty embedded channels (no socket: the codec's own cost, with the
 * pipeline's per-message overhead that a real channel also pays).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FrameCodecBench {
  private static final int DATA = 4096;

  private EmbeddedChannel encoder;
  private EmbeddedChannel decoder;
  private ByteBuf payload;
  private long requestId;

  @Setup(Level.Trial)
  public void open() {
    encoder = new EmbeddedChannel(FrameEncoder.INSTANCE);
    decoder = new EmbeddedChannel(new FrameDecoder(FrameLimits.DEFAULT));
    byte[] bytes = new byte[DATA];
    ThreadLocalRandom.current().nextBytes(bytes);
    payload = Unpooled.directBuffer(DATA).writeBytes(bytes);
  }

  /** Header built per call, as the client does per write. */
  private Envelope header() {
    return Envelope.newBuilder().setRequestId(++requestId).setDeadlineMs(10_000)
        .setWrite(WriteRequest.newBuilder().setPid(7).setEpoch(3).setOffset((requestId % 4096) * DATA)
            .setLength(DATA).setKind(WriteKind.WRITE).setVid(1))
        .build();
  }

  @Benchmark
  public long roundTrip() {
    encoder.writeOutbound(new Frame(header(), payload.retainedDuplicate()));
    ByteBuf wire = encoder.readOutbound();
    decoder.writeInbound(wire);
    Frame frame = decoder.readInbound();
    long id = frame.header().getRequestId() + frame.data().readableBytes();
    frame.release();
    return id;
  }

  @Benchmark
  public long encodeOnly() {
    encoder.writeOutbound(new Frame(header(), payload.retainedDuplicate()));
    ByteBuf wire = encoder.readOutbound();
    long n = wire.readableBytes();
    wire.release();
    return n;
  }

  @TearDown(Level.Trial)
  public void close() {
    encoder.finishAndReleaseAll();
    decoder.finishAndReleaseAll();
    payload.release();
  }
}
