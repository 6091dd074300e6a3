package io.basalt.chunk.store;

import java.util.function.Consumer;
import org.rocksdb.AbstractEventListener;
import org.rocksdb.BackgroundErrorReason;
import org.rocksdb.Status;

/**
 * Forwards RocksDB background errors (failed flush, compaction, WAL write or sync) to the store, which then
 * refuses writes: DESIGN.md says never retry and assume the data is safe. Thread: a RocksDB background thread,
 * so the sink must not call back into the DB.
 */
final class BackgroundErrorListener extends AbstractEventListener {
  private final Consumer<String> sink;

  BackgroundErrorListener(Consumer<String> sink) {
    super(EnabledEventCallback.ON_BACKGROUND_ERROR);
    this.sink = sink;
  }

  @Override
  public void onBackgroundError(BackgroundErrorReason reason, Status status) {
    String detail = status == null ? "unknown" : status.getCodeString() + " " + status.getState();
    sink.accept("rocksdb background error reason=" + reason + " status=" + detail);
  }
}
