package io.basalt.cli.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TablePrinterTest {
  @Test
  void alignsColumnsToTheWidestCellWithoutTrailingBlanks() {
    TablePrinter t = new TablePrinter("CID", "ADDRESS", "STATUS")
        .row(1, "127.0.0.1:7101", "HEALTHY")
        .row(12, null, "SESSION_EXPIRED")
        .row(3, "h:1", "");
    assertThat(t.render()).isEqualTo(
        "CID  ADDRESS         STATUS\n"
            + "1    127.0.0.1:7101  HEALTHY\n"
            + "12   -               SESSION_EXPIRED\n"
            + "3    h:1\n");
    assertThat(t.rowCount()).isEqualTo(3);
  }

  @Test
  void headerOnlyWhenEmptyAndCellsStayOnOneLine() {
    assertThat(new TablePrinter("A", "B").render()).isEqualTo("A  B\n");
    assertThat(new TablePrinter("A", "B").row("x\ny", "z\tw").render()).isEqualTo("A    B\nx y  z w\n");
  }

  @Test
  void rejectsRowsOfTheWrongWidth() {
    assertThatThrownBy(() -> new TablePrinter("A", "B").row("only one"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rendersKeyValues() {
    Map<String, Object> kv = new LinkedHashMap<>();
    kv.put("name", "demo");
    kv.put("extent size", "256 MiB");
    kv.put("created", null);
    assertThat(TablePrinter.renderKeyValues(kv)).isEqualTo(
        "name:         demo\n"
            + "extent size:  256 MiB\n"
            + "created:      -\n");
  }
}
