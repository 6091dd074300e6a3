package io.basalt.client.io;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Fails a test class on any Netty "LEAK:" report. Reports appear only after a leaked buffer is collected and a
 * later allocation polls the detector, so it collects and allocates a few rounds before checking.
 */
final class NoLeakedBuffers implements BeforeAllCallback, AfterAllCallback {
  private final ListAppender<ILoggingEvent> reports = new ListAppender<>();

  @Override
  public void beforeAll(ExtensionContext context) {
    reports.start();
    leakLogger().addAppender(reports);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    try {
      for (int i = 0; i < 10; i++) {
        System.gc();
        for (int j = 0; j < 100; j++) {
          ByteBuf probe = ByteBufAllocator.DEFAULT.buffer(16);
          probe.release();
        }
      }
      assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
      synchronized (reports) {
        // the detector also logs its settings at DEBUG: only "LEAK:" lines are reports
        assertThat(reports.list).extracting(ILoggingEvent::getFormattedMessage)
            .filteredOn(m -> m.contains("LEAK:")).as("Netty LEAK reports").isEmpty();
      }
    } finally {
      leakLogger().detachAppender(reports);
      reports.stop();
    }
  }

  private static Logger leakLogger() {
    return (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
  }
}
