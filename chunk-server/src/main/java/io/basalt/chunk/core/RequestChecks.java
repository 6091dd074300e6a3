package io.basalt.chunk.core;

import io.basalt.chunk.store.ReplicaStore;
import io.basalt.chunk.store.StoreArguments;
import io.basalt.proto.ApplyChangesRequest;
import io.basalt.proto.ByteRange;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.FetchBlocksRequest;
import io.basalt.proto.FetchChangesRequest;
import io.basalt.proto.FlushRequest;
import io.basalt.proto.MutateReplicaRequest;
import io.basalt.proto.ReadReplicaRequest;
import io.basalt.proto.ReadRequest;
import io.basalt.proto.ReplicaStatusRequest;
import io.basalt.proto.ReplicateBatchRequest;
import io.basalt.proto.ReplicateRequest;
import io.basalt.proto.SetFailpointRequest;
import io.basalt.proto.SyncStatusRequest;
import io.basalt.proto.SyncWalRequest;
import io.basalt.proto.WriteKind;
import io.basalt.proto.WriteRequest;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.FrameLimits;
import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * The chunk's edge: every field of every request a chunk serves, checked on the event loop before any work is
 * queued, so hostile or broken input costs one INVALID_ARGUMENT reply and the connection (shared by every volume of
 * that peer) stays up. One method per request kind, called first thing in its handler.
 *
 * <p>What lives here: pids and ids &gt; 0; uint64 fields that Java reads as negative longs (offsets, epochs, gens
 * of 2^63 and up) refused; ranges that fit without overflow ({@code offset > MAX_END - length}, never
 * {@code offset + length}) inside the 4-byte block index space ({@link StoreArguments#MAX_END}); uint32 lengths of
 * 2^31 and up refused; payload length equal to the declared length; reads no larger than a frame's data budget
 * (the reply would otherwise make the peer close the connection); known enum values only; batches of one pid and
 * of bounded size; block alignment where the protocol requires it. What does not: anything that needs state
 * (extent size, ownership, epoch fencing: epoch = Long.MAX_VALUE passes here and is fenced by the replica's epoch
 * checks against meta), which stays with the owner, the replica applier and the store, whose own argument checks
 * remain as a second line.
 *
 * <p>Stateless; any thread.
 */
public final class RequestChecks {
  /** More pids than any client flushes at once (it groups a volume's dirty extents by owner). */
  public static final int MAX_FLUSH_PIDS = 65_536;
  /** An owner batches at most 64 replicates; anything far above is not an owner. */
  public static final int MAX_BATCH_ENTRIES = 1024;
  /** Ranges of one catch-up page: at least a block each, and a page is at most a frame's data. */
  public static final int MAX_CHANGE_RANGES = 8192;
  /** Ranges listed outside a data page (FetchChanges include), as {@code store.ByteRange.MAX_UNPAGED}. */
  public static final int MAX_UNPAGED_RANGES = 1024;
  static final int MAX_FAILPOINT_TEXT = 256;
  private static final int B = ReplicaStore.BLOCK_SIZE;

  private RequestChecks() {}

  /** Client write: data (WRITE) or none (WRITE_ZEROES, TRIM); zero length is the recovery barrier, allowed. */
  public static void write(WriteRequest r, ByteBuf data, FrameLimits limits) {
    String what = "write";
    long pid = r.getPid();
    pid(what, pid);
    notNegative(what, pid, "epoch", r.getEpoch());
    range(what, pid, r.getOffset(), r.getLength());
    kind(what, pid, r.getKind());
    payload(what, pid, r.getKind(), r.getLength(), data);
    if (r.getKind() == WriteKind.WRITE) budget(what, pid, r.getLength(), limits);
  }

  /** Client read: the reply carries {@code length} bytes, so it must fit one frame. */
  public static void read(ReadRequest r, FrameLimits limits) {
    String what = "read";
    long pid = r.getPid();
    pid(what, pid);
    notNegative(what, pid, "epoch", r.getEpoch());
    range(what, pid, r.getOffset(), r.getLength());
    budget(what, pid, r.getLength(), limits);
  }

  /** Client flush: pids &gt; 0, not unboundedly many (each may cost a meta lookup). None = this chunk's WAL only. */
  public static void flush(FlushRequest r) {
    if (r.getPidsCount() > MAX_FLUSH_PIDS) {
      throw invalid("flush of " + r.getPidsCount() + " pids, at most " + MAX_FLUSH_PIDS);
    }
    for (long pid : r.getPidsList()) pid("flush", pid);
  }

  /** Owner to replica: one write at a generation, its data (WRITE) following the header. */
  public static void replicate(ReplicateRequest r, ByteBuf data, FrameLimits limits) {
    replicateHeader("replicate", r);
    payload("replicate", r.getPid(), r.getKind(), r.getLength(), data);
    if (r.getKind() == WriteKind.WRITE) budget("replicate", r.getPid(), r.getLength(), limits);
  }

  /** Owner to replica: consecutive replicates of one pid; the WRITE entries' data back to back, nothing more. */
  public static void replicateBatch(ReplicateBatchRequest r, ByteBuf data) {
    List<ReplicateRequest> entries = r.getEntriesList();
    if (entries.isEmpty() || entries.size() > MAX_BATCH_ENTRIES) {
      throw invalid("replicate batch of " + entries.size() + " entries, need 1 to " + MAX_BATCH_ENTRIES);
    }
    long pid = entries.get(0).getPid();
    long dataBytes = 0;
    for (ReplicateRequest e : entries) {
      if (e.getPid() != pid) {
        throw invalid("replicate batch mixes pid=" + Long.toUnsignedString(pid) + " and pid="
            + Long.toUnsignedString(e.getPid()));
      }
      replicateHeader("replicate batch", e);
      if (e.getKind() == WriteKind.WRITE) dataBytes += e.getLength();
    }
    int readable = data == null ? 0 : data.readableBytes();
    if (dataBytes != readable) {
      throw invalid("replicate batch data length mismatch pid=" + pid + " entries=" + dataBytes + " readable="
          + readable);
    }
  }

  /** Owner to replica: sync the WAL. No fields; a payload means a confused or hostile peer. */
  public static void syncWal(SyncWalRequest r, ByteBuf data) {
    int readable = data == null ? 0 : data.readableBytes();
    if (readable != 0) throw invalid("sync wal carries no data, got readable=" + readable);
  }

  /** Owner to member at a takeover: the member's generation. */
  public static void syncStatus(SyncStatusRequest r) {
    member("sync status", r.getPid(), r.getEpoch(), r.getOwnerCid());
  }

  /** Owner to member ahead of it: one page of changed blocks from a block-aligned offset. */
  public static void fetchChanges(FetchChangesRequest r) {
    String what = "fetch changes";
    long pid = r.getPid();
    member(what, pid, r.getEpoch(), r.getOwnerCid());
    notNegative(what, pid, "since_gen", r.getSinceGen());
    aligned(what, pid, "start_offset", r.getStartOffset());
    if (r.getStartOffset() > StoreArguments.MAX_END) {
      throw invalid(what + " start_offset beyond the max replica size pid=" + pid + " startOffset="
          + r.getStartOffset());
    }
    if (r.getMaxBytes() < B) { // a uint32 of 2^31 or more reads negative
      throw invalid(what + " needs max_bytes in [" + B + ", 2^31) pid=" + pid + " maxBytes="
          + Integer.toUnsignedString(r.getMaxBytes()));
    }
    ranges(what, pid, r.getIncludeList(), MAX_UNPAGED_RANGES);
  }

  /** Owner to member behind it: blocks (data back to back) at to_gen, applied on base_gen. */
  public static void applyChanges(ApplyChangesRequest r, ByteBuf data) {
    String what = "apply changes";
    long pid = r.getPid();
    member(what, pid, r.getEpoch(), r.getOwnerCid());
    notNegative(what, pid, "base_gen", r.getBaseGen());
    notNegative(what, pid, "to_gen", r.getToGen());
    if (r.getToGen() < r.getBaseGen()) {
      throw invalid(what + " to_gen below base_gen pid=" + pid + " baseGen=" + r.getBaseGen() + " toGen="
          + r.getToGen());
    }
    long total = ranges(what, pid, r.getRangesList(), MAX_CHANGE_RANGES);
    int readable = data == null ? 0 : data.readableBytes();
    if (total != readable) {
      throw invalid(what + " data length mismatch pid=" + pid + " ranges=" + total + " readable=" + readable);
    }
  }

  /** Recovery target to owner: a block-aligned batch of present blocks. */
  public static void fetchBlocks(FetchBlocksRequest r) {
    String what = "fetch blocks";
    long pid = r.getPid();
    pid(what, pid);
    positive(what, pid, "recovery_epoch", r.getRecoveryEpoch());
    positive(what, pid, "target_cid", r.getTargetCid());
    aligned(what, pid, "offset", r.getOffset());
    if (r.getOffset() > StoreArguments.MAX_END) {
      throw invalid(what + " offset beyond the max replica size pid=" + pid + " offset=" + r.getOffset());
    }
    if (r.getMaxBytes() <= 0 || r.getMaxBytes() % B != 0) {
      throw invalid(what + " needs max_bytes > 0, block-aligned, below 2^31 pid=" + pid + " maxBytes="
          + Integer.toUnsignedString(r.getMaxBytes()));
    }
    if (r.getSinceGen() == 0 && (r.getSinceGenEpoch() != 0 || r.getIncludeCount() > 0)) {
      throw invalid(what + ": since_gen_epoch and include need since_gen > 0 pid=" + pid);
    }
    ranges(what + " include", pid, r.getIncludeList(), MAX_UNPAGED_RANGES);
  }

  /** Admin: one replica's status. */
  public static void replicaStatus(ReplicaStatusRequest r) {
    pid("replica status", r.getPid());
  }

  /** Test admin: a failpoint name and action (parsed by Failpoints), bounded in size. */
  public static void setFailpoint(SetFailpointRequest r) {
    if (r.getName().isEmpty() || r.getName().length() > MAX_FAILPOINT_TEXT
        || r.getAction().length() > MAX_FAILPOINT_TEXT) {
      throw invalid("set failpoint needs a name and an action of at most " + MAX_FAILPOINT_TEXT + " characters");
    }
  }

  /** Test admin: a replica's bytes, straight from the store; the reply carries them, so one frame at most. */
  public static void readReplica(ReadReplicaRequest r, FrameLimits limits) {
    String what = "read replica";
    long pid = r.getPid();
    pid(what, pid);
    range(what, pid, r.getOffset(), r.getLength());
    budget(what, pid, r.getLength(), limits);
  }

  /** Test admin: drop blocks (no data) or overwrite a range with the payload (its length declared). */
  public static void mutateReplica(MutateReplicaRequest r, ByteBuf data) {
    String what = "mutate replica";
    long pid = r.getPid();
    pid(what, pid);
    range(what, pid, r.getOffset(), r.getLength());
    if (r.getLength() == 0) throw invalid(what + " of zero length pid=" + pid + " offset=" + r.getOffset());
    int readable = data == null ? 0 : data.readableBytes();
    switch (r.getMutation()) {
      case DROP_BLOCKS, CORRUPT_CRC -> {
        if (readable != 0) {
          throw invalid(what + " " + r.getMutation() + " carries data pid=" + pid + " readable=" + readable);
        }
      }
      case WRITE_LOCAL -> {
        if (readable != r.getLength()) {
          throw invalid(what + " data length mismatch pid=" + pid + " length=" + r.getLength() + " readable="
              + readable);
        }
      }
      default -> throw invalid(what + " unknown mutation pid=" + pid + " mutation=" + r.getMutationValue());
    }
  }

  private static void replicateHeader(String what, ReplicateRequest r) {
    long pid = r.getPid();
    pid(what, pid);
    positive(what, pid, "epoch", r.getEpoch());
    positive(what, pid, "gen", r.getGen());
    positive(what, pid, "owner_cid", r.getOwnerCid());
    // gen_epoch: the epoch the gen was assigned at, 0 meaning epoch; never above the epoch it is sent at
    notNegative(what, pid, "gen_epoch", r.getGenEpoch());
    if (r.getGenEpoch() > r.getEpoch()) {
      throw invalid(what + " gen_epoch above epoch pid=" + pid + " genEpoch=" + r.getGenEpoch() + " epoch="
          + r.getEpoch());
    }
    range(what, pid, r.getOffset(), r.getLength());
    kind(what, pid, r.getKind());
  }

  private static void member(String what, long pid, long epoch, int ownerCid) {
    pid(what, pid);
    positive(what, pid, "epoch", epoch);
    positive(what, pid, "owner_cid", ownerCid);
  }

  private static void pid(String what, long pid) {
    if (pid <= 0) throw invalid(what + " needs pid > 0 (below 2^63) pid=" + Long.toUnsignedString(pid));
  }

  private static void positive(String what, long pid, String field, long value) {
    if (value <= 0) {
      throw invalid(what + " needs " + field + " > 0 (below 2^63) pid=" + pid + " " + field + "="
          + Long.toUnsignedString(value));
    }
  }

  /** A uint64 of 2^63 or more reads as a negative long: no offset, epoch or gen is that large. */
  private static void notNegative(String what, long pid, String field, long value) {
    if (value < 0) {
      throw invalid(what + " " + field + " beyond 2^63 pid=" + pid + " " + field + "="
          + Long.toUnsignedString(value));
    }
  }

  /** {@code length} is a uint32: negative as an int means 2^31 or more, more than any range we serve. */
  private static void range(String what, long pid, long offset, int length) {
    if (offset < 0 || length < 0 || offset > StoreArguments.MAX_END - length) {
      throw invalid(what + " range outside the replica address space pid=" + pid + " offset="
          + Long.toUnsignedString(offset) + " length=" + Integer.toUnsignedString(length) + " maxEnd="
          + StoreArguments.MAX_END);
    }
  }

  private static void budget(String what, long pid, int length, FrameLimits limits) {
    long budget = (long) limits.maxFrameBytes() - limits.maxHeaderBytes();
    if (Integer.toUnsignedLong(length) > budget) {
      throw invalid(what + " larger than a frame's data budget pid=" + pid + " length="
          + Integer.toUnsignedString(length) + " budget=" + budget);
    }
  }

  private static void kind(String what, long pid, WriteKind kind) {
    if (kind != WriteKind.WRITE && kind != WriteKind.WRITE_ZEROES && kind != WriteKind.TRIM) {
      throw invalid(what + " unknown write kind pid=" + pid + " kind=" + kind);
    }
  }

  private static void payload(String what, long pid, WriteKind kind, int length, ByteBuf data) {
    int readable = data == null ? 0 : data.readableBytes();
    int expected = kind == WriteKind.WRITE ? length : 0;
    if (readable != expected) {
      throw invalid(what + " data length mismatch pid=" + pid + " kind=" + kind + " length="
          + Integer.toUnsignedString(length) + " readable=" + readable);
    }
  }

  private static void aligned(String what, long pid, String field, long value) {
    if (value < 0 || value % B != 0) {
      throw invalid(what + " " + field + " must be block-aligned pid=" + pid + " " + field + "="
          + Long.toUnsignedString(value));
    }
  }

  /** At most {@code max} ranges, each non-empty, block-aligned and inside the address space; their total. */
  private static long ranges(String what, long pid, List<ByteRange> ranges, int max) {
    if (ranges.size() > max) {
      throw invalid(what + " lists " + ranges.size() + " ranges, at most " + max + " pid=" + pid);
    }
    long total = 0;
    for (ByteRange r : ranges) {
      long offset = r.getOffset();
      long length = r.getLength();
      if (offset < 0 || length <= 0 || offset % B != 0 || length % B != 0 || length > StoreArguments.MAX_END
          || offset > StoreArguments.MAX_END - length) {
        throw invalid(what + " ranges must be non-empty, block-aligned and inside the replica pid=" + pid
            + " offset=" + Long.toUnsignedString(offset) + " length=" + Long.toUnsignedString(length));
      }
      total += length; // at most max * MAX_END: no overflow
    }
    return total;
  }

  private static BasaltException invalid(String msg) {
    return new BasaltException(ErrorCode.INVALID_ARGUMENT, msg);
  }
}
