package io.basalt.client.nbd;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.basalt.common.HotMetrics;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * The NBD server's metrics: one timer per command for successful requests ({@code basalt_nbd_read}, ...), one
 * counter of error replies, byte meters and a connection gauge. Without a registry the same objects exist
 * unregistered, so call sites never test for null.
 */
final class NbdMetrics {
  static final String CONNECTIONS = "basalt_nbd_connections";
  static final String ERRORS = "basalt_nbd_errors";

  private final MetricRegistry registry;
  private final boolean registered;
  private final Map<NbdCommand, Timer> timers = new EnumMap<>(NbdCommand.class);
  private final Counter errors;
  private final Meter readBytes;
  private final Meter writeBytes;

  NbdMetrics(MetricRegistry registry) {
    this.registered = registry != null;
    this.registry = registered ? registry : new MetricRegistry();
    for (NbdCommand command : NbdCommand.values()) {
      if (command.hasRange() || command == NbdCommand.FLUSH) {
        timers.put(command, HotMetrics.timer(this.registry, timerName(command)));
      }
    }
    this.errors = this.registry.counter(ERRORS);
    this.readBytes = this.registry.meter("basalt_nbd_read_bytes");
    this.writeBytes = this.registry.meter("basalt_nbd_write_bytes");
  }

  static String timerName(NbdCommand command) {
    return "basalt_nbd_" + command.name().toLowerCase(Locale.ROOT);
  }

  /** Records a successful request that took {@code nanos}. */
  void succeeded(NbdCommand command, long length, long nanos) {
    Timer timer = timers.get(command);
    if (timer != null) {
      timer.update(nanos, TimeUnit.NANOSECONDS);
    }
    if (command == NbdCommand.READ) {
      readBytes.mark(length);
    } else if (command == NbdCommand.WRITE) {
      writeBytes.mark(length);
    }
  }

  /** Counts an error reply, whether the request was rejected up front or failed in the volume. */
  void failed() {
    errors.inc();
  }

  void registerConnections(IntSupplier open) {
    if (registered) {
      registry.remove(CONNECTIONS);
      registry.register(CONNECTIONS, (Gauge<Integer>) open::getAsInt);
    }
  }

  void unregisterConnections() {
    if (registered) {
      registry.remove(CONNECTIONS);
    }
  }
}
