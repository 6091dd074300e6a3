package io.basalt.client.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reported a leaked buffer (tests run with -Dio.netty.leakDetection.level=paranoid).
 * Leaks surface only after the buffer is garbage collected and a later allocation polls the detector, so this
 * collects and allocates a few times before looking.
 */
final class NoLeaksExtension implements BeforeAllCallback, AfterAllCallback {
  @Override
  public void beforeAll(ExtensionContext context) {
    LeakRecordingAppender.install();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    for (int i = 0; i < 10; i++) {
      System.gc();
      for (int j = 0; j < 100; j++) {
        ByteBuf probe = ByteBufAllocator.DEFAULT.buffer(16);
        probe.release();
      }
    }
    assertThat(LeakRecordingAppender.drain()).as("Netty LEAK reports").isEmpty();
  }
}
