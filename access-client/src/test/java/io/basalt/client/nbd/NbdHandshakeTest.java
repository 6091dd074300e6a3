package io.basalt.client.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.basalt.client.nbd.RawNbdClient.OptionReply;
import io.basalt.proto.ErrorCode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Option haggling with a byte-level client: every option we support, and the ones we refuse. */
@ExtendWith(NoLeaksExtension.class)
class NbdHandshakeTest {
  private static final int SIZE = 16 << 20;
  private NbdTestServer server;

  @BeforeEach
  void start() {
    server = new NbdTestServer().add(new MemoryVolume("vol", SIZE)).add(new MemoryVolume("other", 1 << 20)).start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void goAnswersExportInfoAndBlockSizesThenEntersTransmission() throws Exception {
    try (RawNbdClient client = RawNbdClient.connect(server.port())) {
      List<OptionReply> replies = client.info(NbdOption.GO, "vol", NbdOption.INFO_BLOCK_SIZE);

      assertThat(replies).extracting(OptionReply::type)
          .containsExactly(NbdOption.REP_INFO, NbdOption.REP_INFO, NbdOption.REP_ACK);
      ByteBuffer export = ByteBuffer.wrap(replies.get(0).data());
      assertThat(export.getShort()).isEqualTo((short) NbdOption.INFO_EXPORT);
      assertThat(export.getLong()).isEqualTo(SIZE);
      assertThat(export.getShort() & 0xffff).isEqualTo(NbdProtocol.FLAG_HAS_FLAGS | NbdProtocol.FLAG_SEND_FLUSH
          | NbdProtocol.FLAG_SEND_FUA | NbdProtocol.FLAG_SEND_TRIM | NbdProtocol.FLAG_SEND_WRITE_ZEROES
          | NbdProtocol.FLAG_CAN_MULTI_CONN);
      ByteBuffer sizes = ByteBuffer.wrap(replies.get(1).data());
      assertThat(sizes.getShort()).isEqualTo((short) NbdOption.INFO_BLOCK_SIZE);
      assertThat(sizes.getInt()).isEqualTo(512);
      assertThat(sizes.getInt()).isEqualTo(4096);
      assertThat(sizes.getInt()).isEqualTo(32 << 20);

      client.read(1, 0, 4096);
      assertThat(client.readReply()).isEqualTo(new RawNbdClient.Reply(0, 1));
      assertThat(client.readData(4096)).containsOnly(0);
    }
  }

  @Test
  void infoAnswersNameAndDescriptionAndKeepsNegotiating() throws Exception {
    try (RawNbdClient client = RawNbdClient.connect(server.port())) {
      List<OptionReply> replies =
          client.info(NbdOption.INFO, "other", NbdOption.INFO_NAME, NbdOption.INFO_DESCRIPTION);

      assertThat(replies).last().extracting(OptionReply::type).isEqualTo(NbdOption.REP_ACK);
      assertThat(replies).filteredOn(r -> r.type() == NbdOption.REP_INFO).extracting(r -> r.text().substring(2))
          .contains("other", "Basalt volume other");
      assertThat(client.info(NbdOption.GO, "vol")).last().extracting(OptionReply::type).isEqualTo(NbdOption.REP_ACK);
    }
  }

  @Test
  void listAnswersOneServerReplyPerVolume() throws Exception {
    try (RawNbdClient client = RawNbdClient.connect(server.port())) {
      client.option(NbdOption.LIST, new byte[0]);
      List<OptionReply> replies = client.readUntilFinal();

      assertThat(replies).extracting(OptionReply::type)
          .containsExactly(NbdOption.REP_SERVER, NbdOption.REP_SERVER, NbdOption.REP_ACK);
      assertThat(replies.subList(0, 2)).extracting(r -> r.text().substring(4)).containsExactly("other", "vol");

      client.option(NbdOption.LIST, new byte[] {1});
      assertThat(client.readOptionReply().type()).isEqualTo(NbdOption.REP_ERR_INVALID);
    }
  }

  @Test
  void unknownExportViaGoIsAnErrorReplyAndTheConnectionStaysUsable() throws Exception {
    try (RawNbdClient client = RawNbdClient.connect(server.port())) {
      List<OptionReply> replies = client.info(NbdOption.GO, "nope", NbdOption.INFO_BLOCK_SIZE);

      assertThat(replies).hasSize(1);
      assertThat(replies.get(0).type()).isEqualTo(NbdOption.REP_ERR_UNKNOWN);
      assertThat(replies.get(0).text()).isEqualTo("no such volume: nope");
      assertThat(client.info(NbdOption.GO, "vol")).last().extracting(OptionReply::type).isEqualTo(NbdOption.REP_ACK);
    }
  }

  @Test
  void providerFailuresAreErrorRepliesNotHangs() throws Exception {
    server.volumes.failWith(ErrorCode.UNAVAILABLE);
    try (RawNbdClient client = RawNbdClient.connect(server.port())) {
      OptionReply go = client.info(NbdOption.GO, "vol").get(0);
      assertThat(go.type()).isEqualTo(NbdOption.REP_ERR_UNKNOWN);
      assertThat(go.text()).startsWith("volume vol is unavailable: UNAVAILABLE");
      client.option(NbdOption.LIST, new byte[0]);
      assertThat(client.readOptionReply().type()).isEqualTo(NbdOption.REP_ERR_PLATFORM);

      server.volumes.failWith(null);
      assertThat(client.info(NbdOption.GO, "vol")).last().extracting(OptionReply::type).isEqualTo(NbdOption.REP_ACK);
    }
  }

  @Test
  void emptyExportNameIsUnknownWithoutDefaultExport() throws Exception {
    try (RawNbdClient client = RawNbdClient.connect(server.port())) {
      List<OptionReply> replies = client.info(NbdOption.GO, "");
      assertThat(replies.get(0).type()).isEqualTo(NbdOption.REP_ERR_UNKNOWN);
      assertThat(replies.get(0).text()).startsWith("no such volume: \"\"");
    }
  }

  @Test
  void emptyExportNameServesTheConfiguredDefault() throws Exception {
    try (NbdTestServer withDefault = new NbdTestServer().add(new MemoryVolume("boot", 1 << 20))
        .start(NbdServerConfig.defaults().withDefaultExport("boot"));
        RawNbdClient client = RawNbdClient.connect(withDefault.port())) {
      List<OptionReply> replies = client.info(NbdOption.GO, "", NbdOption.INFO_NAME);
      assertThat(replies).last().extracting(OptionReply::type).isEqualTo(NbdOption.REP_ACK);
      assertThat(replies).filteredOn(r -> r.type() == NbdOption.REP_INFO).extracting(r -> r.text().substring(2))
          .contains("boot");
    }
  }

  @Test
  void exportNameAnswersSizeAndFlagsWithPaddingUnlessNoZeroes() throws Exception {
    try (RawNbdClient client = RawNbdClient.connectRaw(server.port())) {
      client.clientFlags(NbdProtocol.FLAG_C_FIXED_NEWSTYLE);
      client.option(NbdOption.EXPORT_NAME, "other".getBytes(StandardCharsets.UTF_8));
      assertThat(client.input().readLong()).isEqualTo(1 << 20);
      assertThat(client.input().readUnsignedShort()).isEqualTo(NbdProtocol.TRANSMISSION_FLAGS);
      assertThat(client.readData(124)).containsOnly(0);
      client.read(7, 0, 512);
      assertThat(client.readReply()).isEqualTo(new RawNbdClient.Reply(0, 7));
    }
    try (RawNbdClient client = RawNbdClient.connect(server.port())) {
      client.option(NbdOption.EXPORT_NAME, "vol".getBytes(StandardCharsets.UTF_8));
      assertThat(client.input().readLong()).isEqualTo(SIZE);
      assertThat(client.input().readUnsignedShort()).isEqualTo(NbdProtocol.TRANSMISSION_FLAGS);
      client.read(8, 0, 512); // no padding: the reply header follows at once
      assertThat(client.readReply()).isEqualTo(new RawNbdClient.Reply(0, 8));
    }
  }

  @Test
  void unknownExportViaExportNameClosesOnlyThatConnection() throws Exception {
    try (RawNbdClient client = RawNbdClient.connect(server.port())) {
      client.option(NbdOption.EXPORT_NAME, "nope".getBytes(StandardCharsets.UTF_8));
      assertThat(client.closedByServer()).isTrue();
    }
    try (RawNbdClient client = RawNbdClient.open(server.port(), "vol")) {
      client.read(1, 0, 512);
      assertThat(client.readReply().error()).isZero();
    }
  }

  @Test
  void unsupportedOptionsAreRefusedWithErrUnsup() throws Exception {
    try (RawNbdClient client = RawNbdClient.connect(server.port())) {
      for (int option : new int[] {NbdOption.STARTTLS, NbdOption.STRUCTURED_REPLY, NbdOption.SET_META_CONTEXT,
          NbdOption.LIST_META_CONTEXT, NbdOption.EXTENDED_HEADERS, 4, 999}) {
        client.option(option, option == NbdOption.SET_META_CONTEXT ? new byte[12] : new byte[0]);
        OptionReply reply = client.readOptionReply();
        assertThat(reply.option()).isEqualTo(option);
        assertThat(reply.type()).isEqualTo(NbdOption.REP_ERR_UNSUP);
      }
      client.option(NbdOption.GO, new byte[] {0, 0, 0, 9, 'v'}); // name length beyond the data
      assertThat(client.readOptionReply().type()).isEqualTo(NbdOption.REP_ERR_INVALID);
      assertThat(client.info(NbdOption.GO, "vol")).last().extracting(OptionReply::type).isEqualTo(NbdOption.REP_ACK);
    }
  }

  @Test
  void optionsLongerThanTheLimitAreSkippedAndRefusedAndHagglingContinues() throws Exception {
    try (RawNbdClient client = RawNbdClient.connect(server.port())) {
      client.option(999, new byte[100 * 1024]); // unknown and long: read past, never buffered
      OptionReply unknown = client.readOptionReply();
      assertThat(unknown.option()).isEqualTo(999);
      assertThat(unknown.type()).isEqualTo(NbdOption.REP_ERR_UNSUP);

      client.option(NbdOption.GO, new byte[NbdHandshakeHandler.MAX_OPTION_LENGTH + 1]);
      OptionReply tooBig = client.readOptionReply();
      assertThat(tooBig.type()).isEqualTo(NbdOption.REP_ERR_TOO_BIG);
      assertThat(tooBig.text()).contains("longer than 8192 bytes");

      assertThat(client.info(NbdOption.GO, "vol")).last().extracting(OptionReply::type).isEqualTo(NbdOption.REP_ACK);
      client.read(1, 0, 512);
      assertThat(client.readReply()).isEqualTo(new RawNbdClient.Reply(0, 1));
    }
  }

  @Test
  void anOptionLengthOfTwoToTheThirtyTwoMinusOneClosesAtOnce() throws Exception {
    try (RawNbdClient client = RawNbdClient.connect(server.port())) {
      client.writeRaw(ByteBuffer.allocate(16).putLong(NbdProtocol.OPTION_MAGIC).putInt(NbdOption.GO).putInt(-1)
          .array());
      assertThat(client.closedByServer()).isTrue();
    }
    try (RawNbdClient client = RawNbdClient.connect(server.port())) {
      client.writeRaw(ByteBuffer.allocate(16).putLong(NbdProtocol.OPTION_MAGIC).putInt(NbdOption.EXPORT_NAME)
          .putInt(NbdHandshakeHandler.MAX_OPTION_LENGTH + 1).array());
      assertThat(client.closedByServer()).isTrue();
    }
    try (RawNbdClient client = RawNbdClient.open(server.port(), "vol")) {
      client.read(1, 0, 512);
      assertThat(client.readReply().error()).isZero();
    }
  }

  @Test
  void exportNamesLongerThan4096BytesAreRefusedWithoutALookup() throws Exception {
    String longName = "v".repeat(5000);
    server.add(new MemoryVolume(longName, 1 << 20)); // even if such a volume existed, the name is not looked up
    try (RawNbdClient client = RawNbdClient.connect(server.port())) {
      for (int option : new int[] {NbdOption.GO, NbdOption.INFO}) {
        List<OptionReply> replies = client.info(option, longName);
        assertThat(replies).hasSize(1);
        assertThat(replies.get(0).type()).isEqualTo(NbdOption.REP_ERR_INVALID);
        assertThat(replies.get(0).text()).contains("export name of 5000 bytes");
      }
      assertThat(client.info(NbdOption.GO, "vol")).last().extracting(OptionReply::type).isEqualTo(NbdOption.REP_ACK);
    }
    try (RawNbdClient client = RawNbdClient.connect(server.port())) {
      client.option(NbdOption.EXPORT_NAME, longName.getBytes(StandardCharsets.UTF_8));
      assertThat(client.closedByServer()).isTrue(); // EXPORT_NAME has no error reply
    }
  }

  @Test
  void abortIsAcknowledgedThenClosed() throws Exception {
    try (RawNbdClient client = RawNbdClient.connect(server.port())) {
      client.option(NbdOption.ABORT, new byte[0]);
      assertThat(client.readOptionReply().type()).isEqualTo(NbdOption.REP_ACK);
      assertThat(client.closedByServer()).isTrue();
    }
  }

  @Test
  void unknownClientFlagsOrBadOptionMagicCloseTheConnection() throws Exception {
    try (RawNbdClient client = RawNbdClient.connectRaw(server.port())) {
      client.clientFlags(NbdProtocol.FLAG_C_FIXED_NEWSTYLE | 0x80);
      assertThat(client.closedByServer()).isTrue();
    }
    try (RawNbdClient client = RawNbdClient.connect(server.port())) {
      client.writeRaw(new byte[16]);
      assertThat(client.closedByServer()).isTrue();
    }
  }

  @Test
  void idleHandshakeTimesOut() throws Exception {
    try (NbdTestServer strict = new NbdTestServer().add(new MemoryVolume("vol", 1 << 20))
        .start(NbdServerConfig.defaults().withHandshakeTimeout(Duration.ofMillis(200)));
        RawNbdClient client = RawNbdClient.connect(strict.port())) {
      assertThat(client.closedByServer()).isTrue();
      await().atMost(Duration.ofSeconds(5)).until(() -> strict.server().connectionCount() == 0);
    }
  }
}
