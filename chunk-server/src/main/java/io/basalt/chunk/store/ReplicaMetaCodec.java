package io.basalt.chunk.store;

import io.basalt.proto.ErrorCode;
import io.basalt.proto.ReplicaState;
import io.basalt.rpc.BasaltException;

/**
 * Values of the {@code extents} column family (key = pid, 8 B big-endian), all big-endian: version (1 B) + epoch
 * (8 B) + gen (8 B) + state number (1 B), and from version 2 on + recovery epoch (8 B). Version 1 records (written
 * before recovery existed) stay readable, with recovery epoch 0; new records are always written as version 2.
 */
final class ReplicaMetaCodec {
  static final byte VERSION_1 = 1;
  static final byte VERSION = 2;
  static final int SIZE_V1 = 18;
  static final int SIZE = 26;

  private ReplicaMetaCodec() {}

  static byte[] encode(ReplicaMeta meta) {
    int state = meta.state().getNumber(); // throws for UNRECOGNIZED: never persist a state we cannot read back
    if (state > Byte.MAX_VALUE) {
      throw new IllegalArgumentException("replica state number too large pid=" + meta.pid() + " state=" + state);
    }
    byte[] v = new byte[SIZE];
    v[0] = VERSION;
    BlockKeys.putLong(v, 1, meta.epoch());
    BlockKeys.putLong(v, 9, meta.gen());
    v[17] = (byte) state;
    BlockKeys.putLong(v, 18, meta.recoveryEpoch());
    return v;
  }

  static ReplicaMeta decode(long pid, byte[] v) {
    boolean v1 = v.length == SIZE_V1 && v[0] == VERSION_1;
    boolean v2 = v.length == SIZE && v[0] == VERSION;
    if (!v1 && !v2) {
      throw new BasaltException(ErrorCode.IO_ERROR,
          "corrupt replica meta pid=" + pid + " length=" + v.length + " version=" + (v.length > 0 ? v[0] : -1));
    }
    ReplicaState state = ReplicaState.forNumber(v[17]);
    long epoch = BlockKeys.getLong(v, 1);
    long gen = BlockKeys.getLong(v, 9);
    long recoveryEpoch = v2 ? BlockKeys.getLong(v, 18) : 0;
    if (state == null || epoch < 0 || gen < 0 || recoveryEpoch < 0) {
      throw new BasaltException(ErrorCode.IO_ERROR, "corrupt replica meta pid=" + pid + " state=" + v[17]
          + " epoch=" + epoch + " gen=" + gen + " recoveryEpoch=" + recoveryEpoch);
    }
    return new ReplicaMeta(pid, epoch, gen, state, recoveryEpoch);
  }
}
