package io.basalt.chunk.store;

import java.util.function.Consumer;
import org.rocksdb.AbstractEventListener;
import org.rocksdb.BackgroundErrorReason;
import org.rocksdb.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards RocksDB background errors (failed flush, compaction, WAL write or sync) to the store, which then
 * refuses writes: DESIGN.md says never retry and assume the data is safe. A NoSpace error goes to {@code noSpace}
 * instead (TESTPLAN F16): RocksDB stops writing until it resumes by itself once space is back (its SstFileManager
 * polls free space), and nothing it acknowledged is lost. Thread: a RocksDB background thread, so the sinks must not
 * call back into the DB.
 */
final class BackgroundErrorListener extends AbstractEventListener {
  private static final Logger log = LoggerFactory.getLogger(BackgroundErrorListener.class);
  private final Consumer<String> sink;
  private final Consumer<String> noSpace;

  BackgroundErrorListener(Consumer<String> sink, Consumer<String> noSpace) {
    super(EnabledEventCallback.ON_BACKGROUND_ERROR, EnabledEventCallback.ON_ERROR_RECOVERY_COMPLETED);
    this.sink = sink;
    this.noSpace = noSpace;
  }

  @Override
  public void onBackgroundError(BackgroundErrorReason reason, Status status) {
    String detail = status == null ? "unknown" : status.getCodeString() + " " + status.getState();
    String what = "rocksdb background error reason=" + reason + " status=" + detail;
    if (NoSpace.is(status)) noSpace.accept(what);
    else sink.accept(what);
  }

  @Override
  public void onErrorRecoveryCompleted(Status oldBackgroundError) {
    log.warn("rocksdb resumed writing after a background error status={}", oldBackgroundError == null ? "unknown"
        : oldBackgroundError.getCodeString() + " " + oldBackgroundError.getState());
  }
}
