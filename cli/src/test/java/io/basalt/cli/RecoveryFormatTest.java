package io.basalt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.cli.BasaltCliTest.Result;
import io.basalt.cli.output.JsonOutput;
import io.basalt.proto.ListRecoveriesResponse;
import io.basalt.proto.RecoveryInfo;
import io.basalt.proto.RecoveryThrottle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The exact text of {@code recovery ls|throttle} from responses built here, and their argument checks. */
@Timeout(60)
class RecoveryFormatTest {
  static final long MIB = 1L << 20;
  static final RecoveryThrottle THROTTLE = RecoveryThrottle.newBuilder().setBytesPerSec(200 * MIB).setPerChunk(4)
      .build();

  final ListRecoveriesResponse sample = ListRecoveriesResponse.newBuilder().setThrottle(THROTTLE).setDegraded(3)
      .setRecovering(1)
      .addRecoveries(RecoveryInfo.newBuilder().setPid(7).setVid(1).setVolume("v1").setIndex(2).setSourceCid(1)
          .setTargetCid(4).setBytesDone(MIB / 2).setBytesTotal(MIB).setBytesPerSec(256 * 1024).setEtaMs(2000)
          .setState("copying").setLiveReplicas(2).setExpectedReplicas(3).setRunningMs(1500))
      .addRecoveries(RecoveryInfo.newBuilder().setPid(9).setVid(1).setVolume("v1").setIndex(5).setSourceCid(2)
          .setBytesTotal(MIB).setEtaMs(-1).setState("queued").setLiveReplicas(1).setExpectedReplicas(3)
          .setRunningMs(-1))
      .addRecoveries(RecoveryInfo.newBuilder().setPid(11).setVid(1).setVolume("v1").setIndex(6).setSourceCid(2)
          .setBytesTotal(MIB).setEtaMs(-1).setState("no target available").setLiveReplicas(2)
          .setExpectedReplicas(3).setRunningMs(-1))
      .build();

  @Test
  void lsTable() {
    assertThat(RecoveryCommand.render(sample)).isEqualTo(
        "degraded: 3  recovering: 1  throttle: 200 MiB/s, 4 per chunk\n"
            + "PID  VOLUME  INDEX  SOURCE->TARGET  DONE/TOTAL     RATE       ETA   STATE                LIVE  RUNNING\n"
            + "7    v1      2      1->4            512 KiB/1 MiB  256 KiB/s  2.0s  copying              2/3   1.5s\n"
            + "9    v1      5      2->-            -              -          -     queued               1/3   -\n"
            + "11   v1      6      2->-            -              -          -     no target available  2/3   -\n");
  }

  @Test
  void lsJsonKeepsRawNumbers() {
    assertThat(JsonOutput.compact(RecoveryCommand.toJson(sample.getRecoveries(1)))).isEqualTo(
        "{\"pid\":9,\"vid\":1,\"volume\":\"v1\",\"index\":5,\"source_cid\":2,\"target_cid\":null,\"bytes_done\":0,"
            + "\"bytes_total\":1048576,\"bytes_per_sec\":0,\"eta_ms\":null,\"state\":\"queued\",\"live_replicas\":1,"
            + "\"expected_replicas\":3,\"running_ms\":null}");
    assertThat(JsonOutput.compact(RecoveryCommand.toJson(THROTTLE)))
        .isEqualTo("{\"bytes_per_sec\":209715200,\"per_chunk\":4}");
  }

  @Test
  void throttleText() {
    assertThat(RecoveryCommand.renderThrottle(THROTTLE))
        .isEqualTo("bytes per sec:  200 MiB/s (209715200)\nper chunk:      4\n");
  }

  @Test
  void rateAcceptsUnitsAndPerSecond() {
    RecoveryCommand.Rate rate = new RecoveryCommand.Rate();
    assertThat(rate.convert("50MiB")).isEqualTo(50 * MIB);
    assertThat(rate.convert("1G/s")).isEqualTo(1024 * MIB);
    assertThat(rate.convert("2097152")).isEqualTo(2 * MIB);
  }

  @Test
  void badThrottleArgumentsAreUsageErrors() {
    Result low = BasaltCliTest.run("recovery", "throttle", "--bytes-per-sec", "512K");
    assertThat(low.code()).isEqualTo(2);
    assertThat(low.err()).contains("--bytes-per-sec must be at least 1MiB");
    Result bad = BasaltCliTest.run("recovery", "throttle", "--bytes-per-sec", "fast");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("bad rate 'fast'");
    Result zero = BasaltCliTest.run("recovery", "throttle", "--per-chunk", "0");
    assertThat(zero.code()).isEqualTo(2);
    assertThat(zero.err()).contains("--per-chunk must be in 1..64, got 0");
    assertThat(BasaltCliTest.run("recovery", "throttle", "--per-chunk", "65").code()).isEqualTo(2);
    assertThat(BasaltCliTest.run("recovery").code()).isEqualTo(2);
  }
}
