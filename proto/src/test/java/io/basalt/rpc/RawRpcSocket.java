package io.basalt.rpc;

import io.basalt.proto.Envelope;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/** A blocking byte-level RPC peer for abuse tests: writes whatever it is told, reads frames back. */
final class RawRpcSocket implements AutoCloseable {
  private final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;

  RawRpcSocket(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(10_000);
    in = new DataInputStream(socket.getInputStream());
    out = new DataOutputStream(socket.getOutputStream());
  }

  RawRpcSocket send(Envelope header, byte[] data) throws IOException {
    return sendHeader(header.toByteArray(), data);
  }

  RawRpcSocket sendHeader(byte[] header, byte[] data) throws IOException {
    int dataLength = data == null ? 0 : data.length;
    out.writeInt(5 + header.length + dataLength);
    out.writeByte(FrameDecoder.PROTOCOL_VERSION);
    out.writeInt(header.length);
    out.write(header);
    if (data != null) out.write(data);
    out.flush();
    return this;
  }

  RawRpcSocket sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
    return this;
  }

  /** The next frame's header (its data skipped). */
  Envelope read() throws IOException {
    int length = in.readInt();
    in.readByte();
    int headerLength = in.readInt();
    byte[] header = new byte[headerLength];
    in.readFully(header);
    in.skipNBytes(length - 5 - headerLength);
    return Envelope.parseFrom(header);
  }

  /** True once the server closed the connection (EOF or reset), after any frames still in the way. */
  boolean closedByServer() {
    try {
      while (true) {
        read();
      }
    } catch (EOFException | SocketException e) {
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
