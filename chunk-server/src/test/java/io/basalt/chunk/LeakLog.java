package io.basalt.chunk;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Test appender collecting Netty "LEAK:" reports so a test class can fail on them. */
public final class LeakLog extends AppenderBase<ILoggingEvent> {
  private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

  @Override
  protected void append(ILoggingEvent e) {
    if (e.getFormattedMessage().contains("LEAK:")) LEAKS.add(e.getFormattedMessage());
  }

  /** Collects garbage and allocates so the paranoid detector reports what was leaked, then returns the reports. */
  public static List<String> collect() {
    for (int i = 0; i < 5; i++) {
      System.gc();
      for (int j = 0; j < 100; j++) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.buffer(64);
        b.release();
      }
    }
    return List.copyOf(LEAKS);
  }
}
