package io.basalt.rpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.basalt.proto.ErrorCode;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class RetryabilityTest {
  @Test
  void byDefaultRetriesRedirectsOutagesAndDeadlinesOnly() {
    Set<ErrorCode> retryable = EnumSet.of(ErrorCode.NOT_LEADER, ErrorCode.NOT_OWNER, ErrorCode.STALE_EPOCH,
        ErrorCode.NOT_READY, ErrorCode.UNAVAILABLE, ErrorCode.TIMEOUT, ErrorCode.DEADLINE_EXCEEDED);
    for (ErrorCode code : ErrorCode.values()) {
      if (code == ErrorCode.UNRECOGNIZED) {
        continue;
      }
      assertThat(Retryability.byDefault(code)).as(code.name()).isEqualTo(retryable.contains(code));
      assertThat(new BasaltException(code, "m").retryable()).as(code.name()).isEqualTo(retryable.contains(code));
    }
  }

  @Test
  void theThrowersFlagDecides() {
    assertThat(Retryability.isRetryable(new BasaltException(ErrorCode.UNAVAILABLE, "closed", false))).isFalse();
    assertThat(Retryability.isRetryable(new BasaltException(ErrorCode.NO_SESSION, "lease lost", true))).isTrue();
    assertThat(Retryability.isRetryable(new BasaltException(ErrorCode.NO_SESSION, "session gone"))).isFalse();
  }

  @Test
  void unwrapsFutureExceptionsAndForeignTimeouts() {
    BasaltException notReady = new BasaltException(ErrorCode.NOT_READY, "loading");

    assertThat(Retryability.isRetryable(new CompletionException(new ExecutionException(notReady)))).isTrue();
    assertThat(Retryability.isRetryable(new CompletionException(new TimeoutException()))).isTrue();
    assertThat(Retryability.isRetryable(new IllegalStateException("bug"))).isFalse();
  }

  @Test
  void afterRefreshAlsoRetriesRefusalsAboutTheServerReached() {
    for (ErrorCode code : EnumSet.of(ErrorCode.UNAVAILABLE, ErrorCode.NOT_READY, ErrorCode.STALE_EPOCH,
        ErrorCode.TIMEOUT, ErrorCode.DEADLINE_EXCEEDED, ErrorCode.NO_SESSION)) {
      assertThat(Retryability.isRetryableAfterRefresh(new BasaltException(code, "m", false))).as(code.name())
          .isTrue();
    }
    assertThat(Retryability.isRetryableAfterRefresh(new BasaltException(ErrorCode.IO_ERROR, "crc", false)))
        .isFalse();
    assertThat(Retryability.isRetryableAfterRefresh(new BasaltException(ErrorCode.INVALID_ARGUMENT, "range")))
        .isFalse();
    assertThat(Retryability.isRetryableAfterRefresh(new BasaltException(ErrorCode.CANCELLED, "closed", false)))
        .isFalse();
  }
}
