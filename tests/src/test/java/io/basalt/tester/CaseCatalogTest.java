package io.basalt.tester;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The case list: the cases issue 14 asks for, selection by name and by speed. */
class CaseCatalogTest {
  private final CaseCatalog catalog = new CaseCatalog();

  private List<String> names(List<FaultCase> cases) {
    return cases.stream().map(FaultCase::name).toList();
  }

  @Test
  void everyCaseTheIssueNamesIsThere() {
    List<String> all = names(catalog.all());
    for (String action : List.of("kill", "stop-long", "stop-short")) {
      for (String target : List.of("replica", "owner", "meta-leader", "zk-member")) {
        assertThat(all).contains(action + "-" + target);
      }
    }
    assertThat(all).contains("restart-chunk", "partition-meta", "partition-peers", "partition-oneway",
        "slow-channel", "throttled-channel", "recovery-kill-target", "recovery-kill-source",
        "recovery-kill-meta-leader", "two-chunks-lost", "disk-full", "fsync-eio", "second-fault-while-recovering");
    assertThat(all).doesNotHaveDuplicates();
    assertThat(catalog.all()).allSatisfy(c -> assertThat(c.summary()).isNotBlank());
  }

  @Test
  void theSecondFaultDrawsOnlyFromCasesThatExist() {
    assertThat(names(catalog.all())).containsAll(DoubleFault.FIRST).containsAll(DoubleFault.SECOND);
  }

  @Test
  void selectsByNameInTheGivenOrderAndByFastness() {
    assertThat(names(catalog.select(List.of("kill-owner", " partition-meta", "kill-owner"), false)))
        .containsExactly("kill-owner", "partition-meta");
    assertThat(catalog.select(List.of(), true)).allMatch(FaultCase::fast).isNotEmpty()
        .hasSizeLessThan(catalog.all().size());
    assertThat(catalog.select(List.of(), false)).hasSameSizeAs(catalog.all());
    assertThatThrownBy(() -> catalog.select(List.of("kill-owner", "kill-everything"), false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown case 'kill-everything'")
        .hasMessageContaining("partition-oneway");
    assertThatThrownBy(() -> catalog.select(List.of("fsync-eio"), true))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("none of the named cases is fast");
  }
}
