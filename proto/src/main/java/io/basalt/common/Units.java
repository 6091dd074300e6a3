package io.basalt.common;

import java.time.Duration;
import java.util.Locale;

/** Parses the sizes ("10G", "256M", "4096") and durations ("3s", "500ms", "2m") operators type. */
public final class Units {
  private Units() {}

  public static long parseSize(String s) {
    String t = s.trim().toUpperCase(Locale.ROOT);
    if (t.endsWith("IB")) t = t.substring(0, t.length() - 2);
    else if (t.endsWith("B") && t.length() > 1 && !Character.isDigit(t.charAt(t.length() - 2))) t = t.substring(0, t.length() - 1);
    long mult = 1;
    char last = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
    switch (last) {
      case 'K' -> mult = 1L << 10;
      case 'M' -> mult = 1L << 20;
      case 'G' -> mult = 1L << 30;
      case 'T' -> mult = 1L << 40;
      case 'P' -> mult = 1L << 50;
      default -> { }
    }
    String num = mult == 1 ? t : t.substring(0, t.length() - 1);
    try {
      long v = Long.parseLong(num.trim());
      if (v < 0) throw new IllegalArgumentException("negative size: " + s);
      return Math.multiplyExact(v, mult);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("bad size '" + s + "' (expected e.g. 4096, 256M, 10G)");
    }
  }

  public static Duration parseDuration(String s) {
    String t = s.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.endsWith("ms")) return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      if (t.endsWith("s")) return Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
      if (t.endsWith("m")) return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)) * 60);
      if (t.endsWith("h")) return Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
      return Duration.ofMillis(Long.parseLong(t));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad duration '" + s + "' (expected e.g. 500ms, 3s, 2m)");
    }
  }

  public static String formatSize(long bytes) {
    String[] u = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = bytes;
    int i = 0;
    while (v >= 1024 && i < u.length - 1) {
      v /= 1024;
      i++;
    }
    return i == 0 ? bytes + " B" : (v == Math.floor(v) ? String.format(Locale.ROOT, "%.0f %s", v, u[i])
        : String.format(Locale.ROOT, "%.1f %s", v, u[i]));
  }
}
