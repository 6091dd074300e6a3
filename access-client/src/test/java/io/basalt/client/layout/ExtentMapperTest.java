package io.basalt.client.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ExtentMapperTest {
  private static final long MIB = 1 << 20;
  private final ExtentMapper mapper = new ExtentMapper(MIB);

  @Test
  void rangeInsideOneExtentIsOnePart() {
    assertThat(mapper.split(4096, 8192)).containsExactly(new ExtentPart(0, 4096, 8192, 0));
    assertThat(mapper.split(3 * MIB + 512, 1000)).containsExactly(new ExtentPart(3, 512, 1000, 0));
  }

  @Test
  void wholeExtentExactlyOnItsBoundariesIsOnePart() {
    assertThat(mapper.split(2 * MIB, MIB)).containsExactly(new ExtentPart(2, 0, (int) MIB, 0));
  }

  @Test
  void rangeEndingOnABoundaryDoesNotTouchTheNextExtent() {
    assertThat(mapper.split(MIB - 4096, 4096)).containsExactly(new ExtentPart(0, MIB - 4096, 4096, 0));
  }

  @Test
  void rangeStartingOnABoundaryStartsAtOffsetZero() {
    assertThat(mapper.split(MIB, 4096)).containsExactly(new ExtentPart(1, 0, 4096, 0));
  }

  @Test
  void rangeCrossingOneBoundaryIsTwoParts() {
    assertThat(mapper.split(MIB - 100, 300)).containsExactly(
        new ExtentPart(0, MIB - 100, 100, 0),
        new ExtentPart(1, 0, 200, 100));
  }

  @Test
  void rangeSpanningManyExtentsHasFullMiddleParts() {
    List<ExtentPart> parts = mapper.split(MIB / 2, 3 * MIB);
    assertThat(parts).containsExactly(
        new ExtentPart(0, MIB / 2, (int) (MIB / 2), 0),
        new ExtentPart(1, 0, (int) MIB, MIB / 2),
        new ExtentPart(2, 0, (int) MIB, 3 * MIB / 2),
        new ExtentPart(3, 0, (int) (MIB / 2), 5 * MIB / 2));
    assertThat(parts.stream().mapToLong(ExtentPart::length).sum()).isEqualTo(3 * MIB);
  }

  @Test
  void oddSizesAndOffsetsCoverTheRangeExactly() {
    ExtentMapper small = new ExtentMapper(4096);
    long offset = 4093;
    long length = 3 * 4096 + 7;
    List<ExtentPart> parts = small.split(offset, length);
    assertThat(parts).first().isEqualTo(new ExtentPart(0, 4093, 3, 0));
    assertThat(parts).last().isEqualTo(new ExtentPart(4, 0, 4, length - 4));
    long expectedOffset = 0;
    for (ExtentPart p : parts) {
      assertThat(p.offsetInRequest()).isEqualTo(expectedOffset);
      assertThat(p.offsetInExtent() + p.length()).isLessThanOrEqualTo(4096);
      assertThat((long) p.index() * 4096 + p.offsetInExtent()).isEqualTo(offset + expectedOffset);
      expectedOffset += p.length();
    }
    assertThat(expectedOffset).isEqualTo(length);
  }

  @Test
  void singleByteAtTheLastByteOfAnExtent() {
    assertThat(mapper.split(5 * MIB - 1, 1)).containsExactly(new ExtentPart(4, MIB - 1, 1, 0));
  }

  @Test
  void emptyRangeHasNoParts() {
    assertThat(mapper.split(123, 0)).isEmpty();
  }

  @Test
  void largeOffsetsBeyondFourGiBMapToHighIndexes() {
    long offset = 5L << 32;
    assertThat(mapper.split(offset + 10, 20)).containsExactly(new ExtentPart((int) (offset / MIB), 10, 20, 0));
    ExtentMapper big = new ExtentMapper(256 * MIB);
    assertThat(big.indexOf(1L << 40)).isEqualTo(4096);
  }

  @Test
  void extentCountRoundsUp() {
    assertThat(mapper.extentCount(0)).isZero();
    assertThat(mapper.extentCount(MIB)).isEqualTo(1);
    assertThat(mapper.extentCount(MIB + 1)).isEqualTo(2);
    assertThat(mapper.extentCount(8 * MIB)).isEqualTo(8);
  }

  @Test
  void rejectsBadArguments() {
    assertThatThrownBy(() -> new ExtentMapper(3 * MIB)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ExtentMapper(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ExtentMapper(2L << 30)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> mapper.split(-1, 10)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> mapper.split(0, -10)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> mapper.split(Long.MAX_VALUE, 10)).isInstanceOf(IllegalArgumentException.class);
  }
}
