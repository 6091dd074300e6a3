package io.basalt.it.check;

import io.basalt.client.volume.Volume;
import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Volume} served over NBD by a real Basalt NBD server, so the {@link Stresser} and the checker can run through
 * the NBD path (TESTPLAN 3.1). Requests are pipelined on one TCP connection (fixed newstyle, NBD_OPT_GO, simple
 * replies); a reader thread matches replies by handle. When the connection is lost (a cut, a server restart) every
 * request in flight fails UNAVAILABLE (in doubt) and the next request connects again (dialling until the server takes
 * it), as a real client reconnects: that is what the reconnect cases (TESTPLAN F23) need.
 *
 * <p>Thread-safe: sends are serialised on the connection; any thread may issue requests.
 */
public final class NbdVolume implements Volume {
  private static final Logger log = LoggerFactory.getLogger(NbdVolume.class);
  private static final long INIT_MAGIC = 0x4e42444d41474943L;
  private static final long OPTION_MAGIC = 0x49484156454f5054L;
  private static final long REPLY_MAGIC = 0x3e889045565a9L;
  private static final int REQUEST_MAGIC = 0x25609513;
  private static final int SIMPLE_REPLY_MAGIC = 0x67446698;
  private static final int OPT_GO = 7;
  private static final int REP_ACK = 1;
  private static final int REP_INFO = 3;
  private static final int CMD_READ = 0;
  private static final int CMD_WRITE = 1;
  private static final int CMD_DISC = 2;
  private static final int CMD_FLUSH = 3;
  private static final int CMD_TRIM = 4;
  private static final int CMD_WRITE_ZEROES = 6;
  private static final int FLAG_FUA = 1;

  private final String host;
  private final int port;
  private final String export;
  private final AtomicLong handles = new AtomicLong();
  private final AtomicLong connects = new AtomicLong();
  private static final Duration REDIAL = Duration.ofMillis(50);
  private static final Duration REDIAL_FOR = Duration.ofSeconds(60);
  private final ScheduledExecutorService redials = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "nbd-volume-dial");
    t.setDaemon(true);
    return t;
  });
  private volatile long size;
  private volatile boolean closed;
  private CompletableFuture<Connection> connecting;

  private NbdVolume(String host, int port, String export) {
    this.host = host;
    this.port = port;
    this.export = export;
  }

  /** Connects to {@code export} at {@code host:port} (the handshake runs now, so a bad export fails here). */
  public static NbdVolume connect(String host, int port, String export) {
    NbdVolume v = new NbdVolume(host, port, export);
    try {
      v.connection().get(REDIAL_FOR.toMillis() + 10_000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      v.close();
      throw BasaltException.of(e);
    }
    return v;
  }

  /** Connections made so far (the first one included). */
  public long connects() {
    return connects.get();
  }

  @Override
  public String name() {
    return export;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public int blockSize() {
    return 4096;
  }

  @Override
  public CompletableFuture<ByteBuf> read(long offset, int length) {
    return send(CMD_READ, 0, offset, length, null).thenApply(b -> b);
  }

  @Override
  public CompletableFuture<Void> write(long offset, ByteBuf data, boolean fua) {
    byte[] bytes;
    try {
      bytes = ByteBufUtil.getBytes(data);
    } finally {
      data.release();
    }
    return send(CMD_WRITE, fua ? FLAG_FUA : 0, offset, bytes.length, bytes).thenApply(b -> null);
  }

  @Override
  public CompletableFuture<Void> flush() {
    return send(CMD_FLUSH, 0, 0, 0, null).thenApply(b -> null);
  }

  @Override
  public CompletableFuture<Void> trim(long offset, long length) {
    return send(CMD_TRIM, 0, offset, (int) length, null).thenApply(b -> null);
  }

  @Override
  public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
    return send(CMD_WRITE_ZEROES, fua ? FLAG_FUA : 0, offset, (int) length, null).thenApply(b -> null);
  }

  private CompletableFuture<ByteBuf> send(int type, int flags, long offset, int length, byte[] payload) {
    return connection().thenCompose(c -> c.send(type, flags, offset, length, payload));
  }

  /**
   * The live connection, or the one being made. A refused dial is tried again every {@link #REDIAL} (a client's
   * reconnect loop, as qemu's {@code reconnect-delay}) for up to {@link #REDIAL_FOR}; requests wait for it.
   */
  private synchronized CompletableFuture<Connection> connection() {
    Connection live = connecting == null ? null : connecting.getNow(null);
    if (connecting == null || (live != null && live.lost) || connecting.isCompletedExceptionally()) {
      CompletableFuture<Connection> next = new CompletableFuture<>();
      connecting = next;
      dial(next, System.nanoTime() + REDIAL_FOR.toNanos());
    }
    return connecting;
  }

  private void dial(CompletableFuture<Connection> result, long giveUpAt) {
    redials.execute(() -> {
      try {
        result.complete(new Connection());
      } catch (RuntimeException e) {
        if (System.nanoTime() - giveUpAt > 0 || closed) {
          result.completeExceptionally(e);
        } else {
          redials.schedule(() -> dial(result, giveUpAt), REDIAL.toMillis(), TimeUnit.MILLISECONDS);
        }
      }
    });
  }

  /** Sends NBD_CMD_DISC and closes the connection. */
  @Override
  public synchronized void close() {
    closed = true;
    Connection live = connecting == null ? null : connecting.getNow(null);
    if (live != null && !live.lost) {
      live.disconnect();
    }
    redials.shutdownNow();
  }

  /** One TCP connection in the transmission phase. */
  private final class Connection {
    private record Pending(CompletableFuture<ByteBuf> result, int type, int length) {}

    private final Socket socket = new Socket();
    private final DataOutputStream out;
    private final DataInputStream in;
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private volatile boolean lost;

    Connection() {
      try {
        socket.connect(new InetSocketAddress(host, port), 10_000);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(60_000); // handshake; the reader then blocks without a limit
        out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
        in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        handshake();
        socket.setSoTimeout(0);
      } catch (IOException e) {
        closeQuietly();
        throw new BasaltException(ErrorCode.UNAVAILABLE, "NBD connect to " + host + ":" + port + "/" + export
            + " failed: " + e, true);
      }
      long n = connects.incrementAndGet();
      log.info("NBD connection {} to {}:{}/{} ready, size={}", n, host, port, export, size);
      Thread reader = new Thread(this::readReplies, "nbd-volume-reader-" + n);
      reader.setDaemon(true);
      reader.start();
    }

    private void handshake() throws IOException {
      if (in.readLong() != INIT_MAGIC || in.readLong() != OPTION_MAGIC) {
        throw new IOException("not an NBD newstyle server");
      }
      in.readUnsignedShort();
      out.writeInt(3); // FIXED_NEWSTYLE | NO_ZEROES
      byte[] name = export.getBytes(StandardCharsets.UTF_8);
      out.writeLong(OPTION_MAGIC);
      out.writeInt(OPT_GO);
      out.writeInt(4 + name.length + 2);
      out.writeInt(name.length);
      out.write(name);
      out.writeShort(0);
      out.flush();
      while (true) {
        if (in.readLong() != REPLY_MAGIC) {
          throw new IOException("bad option reply magic");
        }
        in.readInt();
        int type = in.readInt();
        byte[] data = new byte[in.readInt()];
        in.readFully(data);
        if (type == REP_ACK) {
          return;
        }
        if (type < 0) {
          throw new IOException("export " + export + " refused: reply type 0x" + Integer.toHexString(type) + " "
              + new String(data, StandardCharsets.UTF_8));
        }
        if (type == REP_INFO && data.length >= 12 && data[0] == 0 && data[1] == 0) {
          size = ByteBuffer.wrap(data, 2, 8).getLong();
        }
      }
    }

    CompletableFuture<ByteBuf> send(int type, int flags, long offset, int length, byte[] payload) {
      long handle = handles.incrementAndGet();
      CompletableFuture<ByteBuf> result = new CompletableFuture<>();
      pending.put(handle, new Pending(result, type, length));
      try {
        synchronized (out) {
          if (lost) {
            throw new IOException("connection lost");
          }
          out.writeInt(REQUEST_MAGIC);
          out.writeShort(flags);
          out.writeShort(type);
          out.writeLong(handle);
          out.writeLong(offset);
          out.writeInt(length);
          if (payload != null) {
            out.write(payload);
          }
          out.flush();
        }
      } catch (IOException e) {
        lose(e);
      }
      return result;
    }

    private void readReplies() {
      try {
        while (true) {
          if (in.readInt() != SIMPLE_REPLY_MAGIC) {
            throw new IOException("bad reply magic");
          }
          int error = in.readInt();
          long handle = in.readLong();
          Pending p = pending.remove(handle);
          if (p == null) {
            throw new IOException("reply to unknown handle " + handle);
          }
          if (error != 0) {
            p.result().completeExceptionally(new BasaltException(ErrorCode.IO_ERROR, "NBD error " + error
                + " for command " + p.type(), false));
          } else if (p.type() == CMD_READ) {
            byte[] data = new byte[p.length()];
            in.readFully(data);
            p.result().complete(Unpooled.wrappedBuffer(data));
          } else {
            p.result().complete(null);
          }
        }
      } catch (IOException e) {
        lose(e);
      }
    }

    /** Fails every request in flight (in doubt: it may have been applied) and marks the connection for a redial. */
    private void lose(IOException cause) {
      if (!lost) {
        log.info("NBD connection to {}:{}/{} lost ({} requests in flight): {}", host, port, export, pending.size(),
            cause.toString());
      }
      lost = true;
      closeQuietly();
      for (Long h : pending.keySet()) {
        Pending p = pending.remove(h);
        if (p != null) {
          p.result().completeExceptionally(new BasaltException(ErrorCode.UNAVAILABLE, "NBD connection lost: "
              + cause.getMessage(), true));
        }
      }
    }

    void disconnect() {
      try {
        synchronized (out) {
          out.writeInt(REQUEST_MAGIC);
          out.writeShort(0);
          out.writeShort(CMD_DISC);
          out.writeLong(handles.incrementAndGet());
          out.writeLong(0);
          out.writeInt(0);
          out.flush();
        }
      } catch (IOException e) {
        // closing anyway
      }
      lose(new IOException("closed by the client"));
    }

    private void closeQuietly() {
      try {
        socket.close();
      } catch (IOException e) {
        // already gone
      }
    }
  }
}
