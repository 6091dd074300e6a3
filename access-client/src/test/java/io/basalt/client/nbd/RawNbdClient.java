package io.basalt.client.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A blocking NBD client that speaks the wire format byte by byte, so tests can send what real clients never would
 * (bad magic, out-of-range requests, unknown commands) and look at every reply field.
 */
final class RawNbdClient implements AutoCloseable {
  record OptionReply(int option, int type, byte[] data) {
    String text() {
      return new String(data, StandardCharsets.UTF_8);
    }
  }

  record Reply(int error, long handle) {}

  private final Socket socket;
  private final DataInputStream in;
  private final DataOutputStream out;

  private RawNbdClient(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
    this.out = new DataOutputStream(socket.getOutputStream());
  }

  /** Connects and reads the greeting, without answering it. */
  static RawNbdClient connectRaw(int port) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    socket.setSoTimeout(10_000);
    socket.setTcpNoDelay(true);
    RawNbdClient client = new RawNbdClient(socket);
    assertThat(client.in.readLong()).isEqualTo(NbdProtocol.INIT_MAGIC);
    assertThat(client.in.readLong()).isEqualTo(NbdProtocol.OPTION_MAGIC);
    assertThat(client.in.readUnsignedShort()).isEqualTo(NbdProtocol.FLAG_FIXED_NEWSTYLE | NbdProtocol.FLAG_NO_ZEROES);
    return client;
  }

  /** Connects and sends the client flags FIXED_NEWSTYLE | NO_ZEROES: ready for options. */
  static RawNbdClient connect(int port) throws IOException {
    RawNbdClient client = connectRaw(port);
    client.clientFlags(NbdProtocol.FLAG_C_FIXED_NEWSTYLE | NbdProtocol.FLAG_C_NO_ZEROES);
    return client;
  }

  /** Connects and enters the transmission phase with NBD_OPT_GO on {@code export}. */
  static RawNbdClient open(int port, String export) throws IOException {
    RawNbdClient client = connect(port);
    List<OptionReply> replies = client.info(NbdOption.GO, export, NbdOption.INFO_BLOCK_SIZE);
    assertThat(replies.get(replies.size() - 1).type()).as("GO reply for %s", export).isEqualTo(NbdOption.REP_ACK);
    return client;
  }

  void clientFlags(int flags) throws IOException {
    out.writeInt(flags);
    out.flush();
  }

  void option(int option, byte[] data) throws IOException {
    out.writeLong(NbdProtocol.OPTION_MAGIC);
    out.writeInt(option);
    out.writeInt(data.length);
    out.write(data);
    out.flush();
  }

  OptionReply readOptionReply() throws IOException {
    assertThat(in.readLong()).isEqualTo(NbdProtocol.OPTION_REPLY_MAGIC);
    int option = in.readInt();
    int type = in.readInt();
    byte[] data = new byte[in.readInt()];
    in.readFully(data);
    return new OptionReply(option, type, data);
  }

  /** Sends NBD_OPT_INFO or NBD_OPT_GO and reads replies up to the final ACK or error. */
  List<OptionReply> info(int option, String export, int... infoTypes) throws IOException {
    byte[] name = export.getBytes(StandardCharsets.UTF_8);
    ByteBuffer data = ByteBuffer.allocate(4 + name.length + 2 + 2 * infoTypes.length);
    data.putInt(name.length).put(name).putShort((short) infoTypes.length);
    for (int type : infoTypes) {
      data.putShort((short) type);
    }
    option(option, data.array());
    return readUntilFinal();
  }

  List<OptionReply> readUntilFinal() throws IOException {
    List<OptionReply> replies = new ArrayList<>();
    OptionReply reply;
    do {
      reply = readOptionReply();
      replies.add(reply);
    } while (reply.type() == NbdOption.REP_INFO || reply.type() == NbdOption.REP_SERVER);
    return replies;
  }

  void request(int flags, int type, long handle, long offset, long length, byte[] payload) throws IOException {
    out.writeInt(NbdProtocol.REQUEST_MAGIC);
    out.writeShort(flags);
    out.writeShort(type);
    out.writeLong(handle);
    out.writeLong(offset);
    out.writeInt((int) length);
    if (payload != null) {
      out.write(payload);
    }
    out.flush();
  }

  void read(long handle, long offset, int length) throws IOException {
    request(0, NbdCommand.READ.code, handle, offset, length, null);
  }

  void write(long handle, long offset, byte[] payload) throws IOException {
    request(0, NbdCommand.WRITE.code, handle, offset, payload.length, payload);
  }

  Reply readReply() throws IOException {
    assertThat(in.readInt()).isEqualTo(NbdProtocol.SIMPLE_REPLY_MAGIC);
    int error = in.readInt();
    return new Reply(error, in.readLong());
  }

  byte[] readData(int length) throws IOException {
    byte[] data = new byte[length];
    in.readFully(data);
    return data;
  }

  void writeRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  DataInputStream input() {
    return in;
  }

  /** True when the server closed the connection: the next read sees end of stream (or a reset). */
  boolean closedByServer() throws IOException {
    try {
      return in.read() == -1;
    } catch (EOFException | SocketException e) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
