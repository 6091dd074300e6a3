package io.basalt.client.nbd;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Collects Netty's "LEAK:" reports, logged at ERROR by io.netty.util.ResourceLeakDetector. */
final class LeakRecordingAppender extends AppenderBase<ILoggingEvent> {
  private static final String DETECTOR = "io.netty.util.ResourceLeakDetector";
  private static final String NAME = "nbd-test-leaks";
  private static final List<String> REPORTS = new ArrayList<>();

  /** Attaches the recorder to the leak detector's logger once per JVM (independent of logback-test.xml). */
  static synchronized void install() {
    Logger logger = (Logger) LoggerFactory.getLogger(DETECTOR);
    if (logger.getAppender(NAME) == null) {
      LeakRecordingAppender appender = new LeakRecordingAppender();
      appender.setName(NAME);
      appender.setContext(logger.getLoggerContext());
      appender.start();
      logger.addAppender(appender);
    }
  }

  @Override
  protected void append(ILoggingEvent event) {
    // The detector also logs its settings at DEBUG ("-Dio.netty.leakDetection.level: ..."): not reports.
    if (!event.getFormattedMessage().contains("LEAK:")) {
      return;
    }
    synchronized (REPORTS) {
      REPORTS.add(event.getFormattedMessage());
    }
  }

  static List<String> drain() {
    synchronized (REPORTS) {
      List<String> copy = new ArrayList<>(REPORTS);
      REPORTS.clear();
      return copy;
    }
  }
}
