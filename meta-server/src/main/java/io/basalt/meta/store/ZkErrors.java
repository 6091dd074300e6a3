package io.basalt.meta.store;

import io.basalt.proto.ErrorCode;
import io.basalt.rpc.BasaltException;
import org.apache.zookeeper.KeeperException;

/** Translates ZooKeeper failures into {@link BasaltException}s at the store boundary, with path context. */
final class ZkErrors {
  private ZkErrors() {}

  static BasaltException translate(Throwable t, String context) {
    if (t instanceof BasaltException b) {
      return b;
    }
    if (t instanceof KeeperException ke) {
      return translate(ke.code(), context + " path=" + ke.getPath());
    }
    if (t instanceof InterruptedException) {
      Thread.currentThread().interrupt();
      return new BasaltException(ErrorCode.UNAVAILABLE, context + ": interrupted", true, t);
    }
    return new BasaltException(ErrorCode.INTERNAL, context + ": " + t, false, t);
  }

  static BasaltException translate(KeeperException.Code code, String context) {
    return switch (code) {
      case CONNECTIONLOSS, SESSIONEXPIRED, SESSIONMOVED, OPERATIONTIMEOUT, REQUESTTIMEOUT, THROTTLEDOP ->
          new BasaltException(ErrorCode.UNAVAILABLE, context + ": zookeeper " + code + " (outcome unknown)", true);
      case NONODE, NODEEXISTS, NOTEMPTY ->
          new BasaltException(ErrorCode.INTERNAL, context + ": metadata diverged from zookeeper (" + code + ")", false);
      default -> new BasaltException(ErrorCode.INTERNAL, context + ": zookeeper " + code, false);
    };
  }

  /** True when ZooKeeper refused a multi because of its first op, the {@code meta/epoch} check. */
  static boolean fenced(KeeperException.Code code, int firstOpError) {
    return code == KeeperException.Code.BADVERSION
        || firstOpError == KeeperException.Code.BADVERSION.intValue()
        || firstOpError == KeeperException.Code.NONODE.intValue();
  }
}
