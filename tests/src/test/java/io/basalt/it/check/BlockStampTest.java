package io.basalt.it.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.basalt.it.check.BlockStamp.Kind;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BlockStampTest {
  private final BlockStamp stamp = new BlockStamp(9, 1234, 3, 77, 4242, 5);

  @Test
  void roundTripsAndIsDeterministic() {
    byte[] b = stamp.encode();
    assertThat(b).hasSize(4096);
    assertThat(stamp.encode()).isEqualTo(b);
    BlockStamp.Result r = BlockStamp.decode(b, 1234);
    assertThat(r.kind()).isEqualTo(Kind.VALID);
    assertThat(r.stamp()).isEqualTo(stamp);
    assertThat(r.seq()).isEqualTo(77);
    // the fill depends on run, writer, seq and lba
    assertThat(new BlockStamp(9, 1234, 3, 78, 4242, 5).encode()).isNotEqualTo(b);
    assertThat(new BlockStamp(9, 1234, 4, 77, 4242, 5).encode()).isNotEqualTo(b);
    assertThat(new BlockStamp(9, 1234, 3, 77, 4242, 6).encode()).isNotEqualTo(b);
  }

  @Test
  void encodesAtAnOffsetOfALargerBuffer() {
    byte[] buf = new byte[3 * 4096];
    stamp.encodeInto(buf, 4096);
    assertThat(BlockStamp.decode(buf, 0, 1234).kind()).isEqualTo(Kind.ZERO);
    assertThat(BlockStamp.decode(buf, 4096, 1234).stamp()).isEqualTo(stamp);
    assertThat(BlockStamp.decode(buf, 8192, 1234)).isEqualTo(BlockStamp.Result.ZERO);
  }

  @Test
  void zerosAreZero() {
    assertThat(BlockStamp.decode(new byte[4096], 1).kind()).isEqualTo(Kind.ZERO);
    assertThat(BlockStamp.decode(new byte[4096], 1).seq()).isZero();
  }

  @Test
  void aStampAtAnotherLbaIsMisdirected() {
    BlockStamp.Result r = BlockStamp.decode(stamp.encode(), 1235);
    assertThat(r.kind()).isEqualTo(Kind.MISDIRECTED);
    assertThat(r.stamp().lba()).isEqualTo(1234);
    assertThat(r.seq()).isEqualTo(-1);
  }

  @Test
  void anyFlippedBitIsGarbage() {
    Random rnd = new Random(1);
    for (int i = 0; i < 500; i++) {
      byte[] b = stamp.encode();
      int bit = rnd.nextInt(4096 * 8);
      b[bit / 8] ^= (byte) (1 << (bit % 8));
      assertThat(BlockStamp.decode(b, 1234).kind()).as("bit %d", bit).isEqualTo(Kind.GARBAGE);
    }
  }

  @Test
  void aValidCrcOverDivergentContentIsGarbage() {
    // a header and CRC32C that check out, but fill that is not this stamp's: what a valid-CRC divergent write or a
    // half-written block looks like (F19c)
    byte[] b = stamp.encode();
    byte[] fill = new byte[4096 - 64];
    new Random(3).nextBytes(fill);
    System.arraycopy(fill, 0, b, 64, fill.length);
    ByteBuffer.wrap(b).putInt(56, 0);
    CRC32C c = new CRC32C();
    c.update(b, 0, 4096);
    ByteBuffer.wrap(b).putInt(56, (int) c.getValue());
    BlockStamp.Result r = BlockStamp.decode(b, 1234);
    assertThat(r.kind()).isEqualTo(Kind.GARBAGE);
    assertThat(r.detail()).contains("fill differs");
    // random bytes: bad magic
    byte[] junk = new byte[4096];
    new Random(4).nextBytes(junk);
    assertThat(BlockStamp.decode(junk, 1234).detail()).contains("magic");
  }

  @Test
  void rejectsImpossibleStamps() {
    assertThatThrownBy(() -> new BlockStamp(1, -1, 1, 1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BlockStamp(1, 0, 0, 1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BlockStamp(1, 0, 1, 0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
