package io.basalt.tester;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.tester.FioVerifyLoad.Verdict;
import org.junit.jupiter.api.Test;

/** How a fio pass's exit code and output become a verdict (lines as fio 3.33 prints them). */
class FioVerifyLoadTest {
  @Test
  void aCleanPassIsVerified() {
    assertThat(FioVerifyLoad.verdict(0, "basalt-tester-verify: (groupid=0, jobs=1): err= 0: pid=1"))
        .isEqualTo(Verdict.VERIFIED);
  }

  @Test
  void aBadHeaderIsAViolation() {
    String out = "verify: bad magic header 0, wanted acca at file /tmp/fz offset 61440, length 4096 (requested "
        + "block: offset=61440, length=4096)\nt: (groupid=0, jobs=1): err=84 (file:io_u.c:2152, "
        + "func=io_u_sync_complete, error=Invalid or incomplete multibyte or wide character): pid=32379";
    assertThat(FioVerifyLoad.verdict(1, out)).isEqualTo(Verdict.VERIFY_FAILED);
    assertThat(FioVerifyLoad.verdict(1, "crc32c: verify failed at file nbd offset 4096, length 4096"))
        .isEqualTo(Verdict.VERIFY_FAILED);
  }

  @Test
  void anIoErrorLeavesThePassInDoubt() {
    String out = "fio: io_u error on file nbd: Input/output error: write offset=1044480, buflen=4096\n"
        + "t: (groupid=0, jobs=1): err= 5 (file:io_u.c:1889, func=io_u error, error=Input/output error): pid=7";
    assertThat(FioVerifyLoad.verdict(1, out)).isEqualTo(Verdict.IN_DOUBT);
    assertThat(FioVerifyLoad.verdict(1, "fio: failed to connect to nbd://10.0.0.1:10809/fio"))
        .as("any other failure: in doubt, never a loss").isEqualTo(Verdict.IN_DOUBT);
  }
}
