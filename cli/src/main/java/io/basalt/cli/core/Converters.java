package io.basalt.cli.core;

import io.basalt.common.Units;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** picocli converters for the units operators type; a bad value is a usage error (exit code 2). */
public final class Converters {
  private Converters() {}

  /** "10G", "256M", "4096" ({@link Units#parseSize}). */
  public static final class Size implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      try {
        return Units.parseSize(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** "500ms", "3s", "2m" ({@link Units#parseDuration}). */
  public static final class Time implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        Duration d = Units.parseDuration(value);
        if (d.isNegative() || d.isZero()) {
          throw new TypeConversionException("duration must be positive: '" + value + "'");
        }
        return d;
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
