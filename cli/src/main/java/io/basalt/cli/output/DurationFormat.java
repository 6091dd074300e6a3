package io.basalt.cli.output;

import io.basalt.common.Units;
import java.time.Duration;
import java.util.Locale;

/** Durations as the CLI prints them: short for people ("850ms", "9.2s", "2m05s") and as command-line flags. */
public final class DurationFormat {
  private DurationFormat() {}

  /**
   * A length of time in milliseconds for people: "850ms" below a second, "9.2s" below a minute, "2m05s" below an
   * hour, "1h02m" above. Negative values keep their sign ("-1.5s").
   */
  public static String human(long ms) {
    if (ms < 0) {
      return "-" + human(ms == Long.MIN_VALUE ? Long.MAX_VALUE : -ms);
    }
    if (ms < 1_000) {
      return ms + "ms";
    }
    if (ms < 60_000) {
      return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
    }
    long s = ms / 1000;
    if (s < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
  }

  /**
   * {@code d} as a flag value the servers parse back exactly ({@link Units#parseDuration}): whole
   * seconds as "3s", anything else in milliseconds ("500ms", "1500ms").
   */
  public static String flag(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
  }
}
