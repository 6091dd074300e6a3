package io.basalt.chunk.store;

import static io.basalt.chunk.store.ReplicaStore.BLOCK_SIZE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Range arithmetic of the member catch-up: merge, align, coarsen, and paging by bytes. */
class ChangePageTest {
  private static final int B = BLOCK_SIZE;

  @Test
  void alignAndMergeSortsJoinsTouchingRangesAndDropsEmptyOnes() {
    List<ByteRange> in = List.of(r(9L * B + 5, 1), r(100, 10), r(B, 0), r(B + 1, 2), r(3L * B, B), r(2L * B, 1));
    assertThat(ByteRange.alignAndMerge(in)).containsExactly(r(0, 4L * B), r(9L * B, B));
    assertThat(ByteRange.merge(List.of(r(10, 5), r(0, 10), r(20, 1)))).containsExactly(r(0, 15), r(20, 1));
    assertThat(ByteRange.merge(List.of())).isEmpty();
  }

  @Test
  void coarsenKeepsShortListsAndCoversLongOnesWithOneRange() {
    List<ByteRange> many = new ArrayList<>();
    for (int i = 0; i < 5; i++) many.add(r(2L * i * B, B));
    assertThat(ByteRange.coarsen(many, 5)).isEqualTo(many);
    assertThat(ByteRange.coarsen(many, 4)).containsExactly(r(0, 9L * B));
  }

  @Test
  void pagesSplitAtTheByteBudgetAndEnd() {
    List<ByteRange> ranges = List.of(r(0, 3L * B), r(10L * B, B), r(20L * B, 5L * B));

    ChangePage p1 = ChangePage.of(ranges, 0, 2L * B);
    assertThat(p1.ranges()).containsExactly(r(0, 2L * B));
    assertThat(p1.nextOffset()).isEqualTo(2L * B);
    ChangePage p2 = ChangePage.of(ranges, p1.nextOffset(), 2L * B);
    assertThat(p2.ranges()).containsExactly(r(2L * B, B), r(10L * B, B));
    assertThat(p2.nextOffset()).as("budget used up exactly: the next range starts the next page")
        .isEqualTo(20L * B);
    ChangePage p3 = ChangePage.of(ranges, p2.nextOffset(), 100L * B);
    assertThat(p3.ranges()).containsExactly(r(20L * B, 5L * B));
    assertThat(p3.last()).isTrue();
    assertThat(p3.bytes()).isEqualTo(5L * B);

    assertThat(ChangePage.of(ranges, 0, 1).ranges()).as("at least one block").containsExactly(r(0, B));
    assertThat(ChangePage.of(List.of(), 0, B)).isEqualTo(new ChangePage(List.of(), 0));
  }

  @Test
  void wireRangesMustBeBlockAlignedAndNonEmpty() {
    var ok = io.basalt.proto.ByteRange.newBuilder().setOffset(B).setLength(2L * B).build();
    assertThat(ByteRange.fromProto("x", 1, List.of(ok), 1)).containsExactly(r(B, 2L * B));
    assertThat(r(B, 2L * B).toProto()).isEqualTo(ok);
    for (var bad : List.of(ok.toBuilder().setOffset(1).build(), ok.toBuilder().setLength(0).build(),
        ok.toBuilder().setLength(-B).build())) {
      assertThatThrownBy(() -> ByteRange.fromProto("x", 1, List.of(bad), 1)).isInstanceOfSatisfying(
          BasaltException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }
    assertThatThrownBy(() -> ByteRange.fromProto("x", 1, List.of(ok, ok), 1)).hasMessageContaining("at most 1");
  }

  private static ByteRange r(long offset, long length) {
    return new ByteRange(offset, length);
  }
}
