package io.basalt.chunk.store;

import io.basalt.failpoint.Failpoints;
import io.basalt.proto.ErrorCode;
import io.basalt.proto.ReplicaState;
import io.basalt.proto.WriteKind;
import io.basalt.rpc.BasaltException;
import io.basalt.rpc.StaleEpochException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Lock;
import java.util.function.Consumer;
import java.util.function.LongPredicate;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ReplicaStore} on one RocksDB per data directory with column families {@code meta}, {@code extents},
 * {@code blocks} and {@code genlog} (DESIGN.md "Chunk storage"), and block data in per-replica files
 * ({@link ExtentFiles}). Each apply writes its blocks' data into their free slots, then commits one WriteBatch
 * holding their records ({@link BlockRecord}: slot + CRC), the replica's new generation/epoch and its gen log entry
 * ({@link GenLog}), so a crash never exposes one without the others.
 *
 * <p>Threads: any; RocksDB is thread-safe and RMW correctness relies on the caller serialising calls per pid.
 * {@link StoreGuard} keeps {@link #close()} from freeing native handles under a running call.
 *
 * <p>Failure: a failed write or WAL sync, or a RocksDB background error, fails the store for good: every later
 * mutation and sync is refused with {@code IO_ERROR} (never retry and assume the data is safe); reads still run.
 * A full disk is different (TESTPLAN F16, {@link NoSpace}): the write that hit ENOSPC was not committed, so it fails
 * with {@code NO_SPACE}, {@link DiskSpace} marks the disk full and refuses new data until space is back, and the
 * store stays usable for reads, deletes and metadata.
 */
public final class RocksReplicaStore implements ReplicaStore {
  private static final Logger log = LoggerFactory.getLogger(RocksReplicaStore.class);
  /** The key of the {@link DiskSpace} probe write in the {@code meta} family (overwritten, never read). */
  private static final byte[] SPACE_PROBE_KEY = "space-probe".getBytes(StandardCharsets.UTF_8);
  private static final List<String> SIZE_PROPERTIES = List.of(
      "rocksdb.total-sst-files-size", "rocksdb.total-blob-file-size", "rocksdb.cur-size-all-mem-tables");

  private final Path dir;
  private final RocksStoreConfig cfg;
  private final RocksHandles h;
  private final BlockReader reader;
  private final ScrubReader scrub;
  private final BlockWriter writer;
  private final GenLog genLog;
  private final BlockCopyReader copyReader;
  private final ExtentFiles files;
  private volatile Failpoints failpoints = new Failpoints();
  private final SlotMap slots;
  /** Commits that changed block records: lets readers on other threads tell a reused slot from corruption. */
  private final SlotFence fence = new SlotFence();
  private final LongAdder crcErrors = new LongAdder();
  private final StoreGuard guard;
  private final DiskSpace disk;
  private final Object identityLock = new Object();
  private final long capacityBytes;
  /**
   * Write-through copy of the {@code extents} column family (absent replicas as {@link #ABSENT}): the write path
   * checks epoch and gen on every apply and must not read them back from RocksDB each time. Updated only after the
   * RocksDB write that changed the record succeeded; per pid only by the pid's serialised caller.
   */
  private final ConcurrentHashMap<Long, ReplicaMeta> metas = new ConcurrentHashMap<>();
  private static final ReplicaMeta ABSENT = new ReplicaMeta(Long.MAX_VALUE, 0, 0, ReplicaState.ACTIVE); // by identity
  /** Cleared WriteBatches for reuse: a group commit per write on the hot path would otherwise allocate natives. */
  private final ConcurrentLinkedQueue<WriteBatch> spareBatches = new ConcurrentLinkedQueue<>();

  private RocksReplicaStore(Path dir, RocksStoreConfig cfg, RocksHandles h, ExtentFiles files, StoreGuard guard,
      DiskSpace disk) throws IOException {
    this.dir = dir;
    this.disk = disk;
    this.cfg = cfg;
    this.h = h;
    this.files = files;
    this.slots = new SlotMap(h);
    this.guard = guard;
    this.reader = new BlockReader(h, files, crcErrors, fence);
    this.scrub = new ScrubReader(h, files);
    this.writer = new BlockWriter(h, reader, files);
    this.genLog = new GenLog(h, cfg.genLogRetention());
    this.copyReader = new BlockCopyReader(h, reader, files, fence);
    // Usable space alone shrinks as we fill the disk, so add what this store already holds.
    this.capacityBytes = cfg.capacityBytes() > 0
        ? cfg.capacityBytes() : Files.getFileStore(dir).getUsableSpace() + usedBytes();
  }

  /** Opens (creating if needed) the store in {@code dir}; refuses an unknown on-disk format version. */
  public static RocksReplicaStore open(Path dir, RocksStoreConfig cfg) {
    StoreGuard guard = new StoreGuard(dir);
    RocksHandles h;
    DiskSpace disk;
    try {
      Files.createDirectories(dir);
      disk = DiskSpace.of(dir, cfg.diskReserveBytes());
      h = RocksHandles.open(dir, cfg, guard::fail, disk::noSpace);
    } catch (IOException | RocksDBException e) {
      throw new BasaltException(ErrorCode.IO_ERROR, "open replica store failed dir=" + dir + ": " + e, false, e);
    }
    ExtentFiles files = null;
    try {
      files = new ExtentFiles(dir);
      StoreFormat.checkOrInit(h, files);
      RocksReplicaStore store = new RocksReplicaStore(dir, cfg, h, files, guard, disk);
      // Clearing full needs proof that RocksDB writes again (it resumes from a NoSpace error on its own).
      disk.probe(() -> guard.call("space probe", 0, true, () -> {
        h.db.put(h.meta, h.syncWrite, SPACE_PROBE_KEY, SPACE_PROBE_KEY);
        return null;
      }));
      log.info("replica store opened dir={} blockCacheBytes={} blobFiles={} syncEveryWrite={} capacityBytes={}",
          dir, cfg.blockCacheBytes(), cfg.blobFiles(), cfg.syncEveryWrite(), store.capacityBytes);
      return store;
    } catch (IOException | RocksDBException | RuntimeException e) {
      if (files != null) files.close();
      h.close();
      if (e instanceof BasaltException b) throw b;
      throw new BasaltException(ErrorCode.IO_ERROR, "open replica store failed dir=" + dir + ": " + e, false, e);
    }
  }

  @Override
  public Optional<ChunkIdentity> identity() {
    return guard.call("read identity", 0, false, () -> StoreFormat.identity(h));
  }

  /** Saves the identity once; saving the same one again is a no-op, a different one is ALREADY_EXISTS. */
  @Override
  public void saveIdentity(ChunkIdentity identity) {
    guard.call("save identity", 0, true, () -> {
      synchronized (identityLock) {
        Optional<ChunkIdentity> existing = StoreFormat.identity(h);
        if (existing.isPresent() && !existing.get().equals(identity)) {
          throw new BasaltException(ErrorCode.ALREADY_EXISTS,
              "store already belongs to " + existing.get() + ", refusing " + identity + " dir=" + dir);
        }
        if (existing.isEmpty()) {
          try (WriteBatch batch = new WriteBatch()) {
            StoreFormat.addIdentity(batch, h, identity);
            write(batch, true, "save identity", 0);
          }
        }
      }
      return null;
    });
  }

  @Override
  public Optional<ReplicaMeta> replica(long pid) {
    StoreArguments.checkPid(pid);
    return guard.call("read replica meta", pid, false, () -> Optional.ofNullable(loadMeta(pid)));
  }

  @Override
  public List<ReplicaMeta> replicas() {
    return guard.call("list replicas", 0, false, () -> {
      List<ReplicaMeta> out = new ArrayList<>();
      try (RocksIterator it = h.db.newIterator(h.extents, h.read)) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          out.add(ReplicaMetaCodec.decode(BlockKeys.pid(it.key()), it.value()));
        }
        it.status();
      }
      return List.copyOf(out);
    });
  }

  /** Synced: an adopted epoch is a fencing fact that must survive a crash. */
  @Override
  public void putReplicaMeta(ReplicaMeta meta) {
    guard.call("put replica meta", meta.pid(), true, () -> {
      try (WriteBatch batch = new WriteBatch()) {
        ReplicaMeta prev = loadMeta(meta.pid());
        if (prev == null || prev.gen() != meta.gen()) {
          // The log cannot explain a gen set from outside: it restarts here.
          genLog.deleteAll(batch, meta.pid());
          genLog.setFloor(batch, meta.pid(), meta.gen());
        }
        batch.put(h.extents, BlockKeys.pidKey(meta.pid()), ReplicaMetaCodec.encode(meta));
        write(batch, true, "put replica meta", meta.pid());
        metas.put(meta.pid(), meta);
      }
      return null;
    });
  }

  /**
   * As {@link ReplicaStore#applyAll}: the blocks of every write, one gen log entry per gen, and the replica record
   * once (epoch and gen become max(stored, given), state kept) in one reused WriteBatch.
   */
  @Override
  public void applyAll(ExtentEpoch at, List<Mutation> writes, boolean sync) {
    long pid = at.pid();
    long epoch = at.epoch();
    for (Mutation w : writes) {
      StoreArguments.checkApply(pid, epoch, w.gen(), w.offset(), w.length(), w.kind(), w.data());
    }
    if (writes.isEmpty()) return;
    guard.call("apply", pid, true, () -> {
      disk.checkWritable("apply", pid);
      ReplicaMeta prev = loadMeta(pid);
      if (prev != null && epoch < prev.epoch()) {
        Mutation first = writes.get(0);
        throw new StaleEpochException(prev.epoch(), "apply at epoch=" + epoch + " below the replica's epoch="
            + prev.epoch() + " pid=" + pid + " gen=" + first.gen() + ": fenced");
      }
      WriteBatch batch = batch();
      try {
        StagedBlocks staged = new StagedBlocks(slots.of(pid));
        ReplicaMeta cur = prev;
        for (Mutation w : writes) {
          if (w.length() > 0) {
            if (w.kind() == WriteKind.WRITE) writer.addWrite(batch, staged, pid, w.offset(), w.length(), w.data());
            else writer.addZeroes(batch, staged, pid, w.offset(), w.length());
          }
          logApply(batch, pid, cur, w.gen(), w.genEpoch(), w.offset(), w.length());
          cur = cur == null
              ? new ReplicaMeta(pid, epoch, w.gen(), ReplicaState.ACTIVE)
              : new ReplicaMeta(pid, Math.max(cur.epoch(), epoch), Math.max(cur.gen(), w.gen()), cur.state(),
                  cur.recoveryEpoch());
        }
        batch.put(h.extents, BlockKeys.pidKey(pid), ReplicaMetaCodec.encode(cur));
        commit(staged, batch, sync || cfg.syncEveryWrite(), "apply", pid);
        metas.put(pid, cur);
      } finally {
        recycle(batch);
      }
      return null;
    });
  }

  /**
   * The gen log side of an apply. A gen at or below the stored one (a same-gen test mutation) changes the current
   * content, so its range joins the entry of the stored gen.
   */
  private void logApply(WriteBatch batch, long pid, ReplicaMeta prev, long gen, long genEpoch, long offset,
      int length) throws RocksDBException {
    long prevGen = prev == null ? 0 : prev.gen();
    long at = Math.max(gen, prevGen);
    if (length > 0) {
      genLog.add(batch, pid, at, List.of(new ByteRange(offset, length)), prev != null && at <= prevGen, genEpoch);
    }
    if (prev == null) genLog.setFloor(batch, pid, Math.max(0, gen - 1));
    else genLog.maybeTrim(batch, pid, prevGen, at);
  }

  @Override
  public Optional<List<ByteRange>> changedSince(long pid, long sinceGen) {
    StoreArguments.checkPid(pid);
    return guard.call("changed since", pid, false, () -> {
      ReplicaMeta m = loadMeta(pid);
      long current = m == null ? 0 : m.gen();
      if (sinceGen < 0 || sinceGen > current) {
        throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "changes since gen=" + sinceGen
            + " asked but replica gen=" + current + " pid=" + pid);
      }
      return genLog.changedSince(pid, sinceGen, current);
    });
  }

  @Override
  public long genEpoch(long pid, long gen) {
    StoreArguments.checkPid(pid);
    return guard.call("gen epoch", pid, false, () -> genLog.genEpoch(pid, gen));
  }

  @Override
  public List<ByteRange> partialRanges(long pid) {
    StoreArguments.checkPid(pid);
    return guard.call("partial ranges", pid, false, () -> {
      ReplicaMeta m = loadMeta(pid);
      return m == null ? List.of() : genLog.above(pid, m.gen());
    });
  }

  @Override
  public void applyChanges(ExtentEpoch at, long baseGen, long toGen, List<ByteRange> ranges, ByteBuf data,
      boolean last) {
    long pid = at.pid();
    long epoch = at.epoch();
    StoreArguments.checkChanges(pid, epoch, baseGen, toGen, ranges, data);
    guard.call("apply changes", pid, true, () -> {
      disk.checkWritable("apply changes", pid);
      ReplicaMeta prev = loadMeta(pid);
      if (prev != null && epoch < prev.epoch()) {
        throw new StaleEpochException(prev.epoch(), "catch-up at epoch=" + epoch + " below the replica's epoch="
            + prev.epoch() + " pid=" + pid + " toGen=" + toGen + ": fenced");
      }
      long gen = prev == null ? 0 : prev.gen();
      if (gen != baseGen) {
        throw new BasaltException(ErrorCode.GENERATION_GAP, "pid=" + pid + " have gen=" + gen
            + " but changes are based on gen=" + baseGen + " (toGen=" + toGen + ")");
      }
      try (WriteBatch batch = new WriteBatch()) {
        StagedBlocks staged = new StagedBlocks(slots.of(pid));
        int pos = data.readerIndex();
        for (ByteRange r : ranges) {
          writer.addWrite(batch, staged, pid, r.offset(), (int) r.length(), data.slice(pos, (int) r.length()));
          pos += (int) r.length();
        }
        if (prev == null) genLog.setFloor(batch, pid, baseGen);
        if (!ranges.isEmpty()) genLog.add(batch, pid, toGen, ranges, true, 0);
        long newGen = last ? toGen : gen;
        ReplicaMeta next = new ReplicaMeta(pid, Math.max(prev == null ? 0 : prev.epoch(), epoch), newGen,
            prev == null ? ReplicaState.ACTIVE : prev.state(), prev == null ? 0 : prev.recoveryEpoch());
        batch.put(h.extents, BlockKeys.pidKey(pid), ReplicaMetaCodec.encode(next));
        if (last) {
          genLog.deleteAbove(batch, pid, toGen); // an earlier unfinished catch-up's marks: rewritten now
          genLog.maybeTrim(batch, pid, gen, toGen);
        }
        commit(staged, batch, last || cfg.syncEveryWrite(), "apply changes", pid);
        metas.put(pid, next);
      }
      return null;
    });
  }

  @Override
  public ByteBuf read(long pid, long offset, int length, ByteBufAllocator alloc) {
    StoreArguments.checkRange(pid, offset, length);
    return guard.call("read", pid, false, () -> reader.read(pid, offset, length, alloc));
  }

  @Override
  public PresentBlocks readPresentBlocks(long pid, long offset, int length, ByteBufAllocator alloc) {
    StoreArguments.checkRange(pid, offset, length);
    if (offset % BLOCK_SIZE != 0 || length % BLOCK_SIZE != 0) {
      throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "copy read must be block-aligned pid=" + pid
          + " offset=" + offset + " length=" + length);
    }
    return guard.call("read present blocks", pid, false,
        () -> copyReader.read(pid, offset / BLOCK_SIZE, (offset + length) / BLOCK_SIZE, alloc));
  }

  @Override
  public int writeCopiedBlocks(long pid, long[] blocks, ByteBuf data, LongPredicate skip) {
    StoreArguments.checkPid(pid);
    if (data == null || data.readableBytes() != (long) blocks.length * BLOCK_SIZE) {
      throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "copied data length mismatch pid=" + pid + " blocks="
          + blocks.length + " readable=" + (data == null ? "null" : data.readableBytes()));
    }
    return guard.call("write copied blocks", pid, true, () -> {
      disk.checkWritable("write copied blocks", pid);
      if (loadMeta(pid) == null) {
        throw new BasaltException(ErrorCode.NO_SUCH_EXTENT, "no replica of pid=" + pid + " to copy blocks into");
      }
      try (WriteBatch batch = new WriteBatch(copyBatchBytes(blocks.length))) {
        for (long index : blocks) {
          if (index < 0 || index >= Integer.MAX_VALUE) {
            throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "copied block index out of range pid=" + pid
                + " block=" + index);
          }
        }
        StagedBlocks staged = new StagedBlocks(slots.of(pid));
        int written = writer.addCopied(batch, staged, pid, blocks, data, skip);
        if (written > 0) commit(staged, batch, cfg.syncEveryWrite(), "write copied blocks", pid);
        return written;
      }
    });
  }

  @Override
  public int writeCopiedRanges(long pid, List<ByteRange> covered, long[] blocks, ByteBuf data, LongPredicate skip) {
    StoreArguments.checkPid(pid);
    if (data == null || data.readableBytes() != (long) blocks.length * BLOCK_SIZE) {
      throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "copied data length mismatch pid=" + pid + " blocks="
          + blocks.length + " readable=" + (data == null ? "null" : data.readableBytes()));
    }
    StoreArguments.checkCoveredBlocks(pid, covered, blocks);
    return guard.call("write copied ranges", pid, true, () -> {
      disk.checkWritable("write copied ranges", pid);
      if (loadMeta(pid) == null) {
        throw new BasaltException(ErrorCode.NO_SUCH_EXTENT, "no replica of pid=" + pid + " to copy blocks into");
      }
      long coveredBlocks = ByteRange.totalLength(covered) / BLOCK_SIZE;
      try (WriteBatch batch = new WriteBatch(copyBatchBytes((int) Math.min(coveredBlocks, Integer.MAX_VALUE)))) {
        StagedBlocks staged = new StagedBlocks(slots.of(pid));
        int written = writer.addCopiedRanges(batch, staged, pid, covered, blocks, data, skip);
        if (written > 0) commit(staged, batch, cfg.syncEveryWrite(), "write copied ranges", pid);
        return written;
      }
    });
  }

  /** WriteBatch bytes for {@code blocks} block puts: header + per entry tag, cf id, varint lengths, key, value. */
  private static int copyBatchBytes(int blocks) {
    long bytes = 64 + (long) blocks * (BlockKeys.KEY_SIZE + BlockRecord.SIZE + 16);
    return (int) Math.min(bytes, 64 << 20);
  }

  @Override
  public void syncWal() {
    guard.call("sync wal", 0, true, () -> {
      try {
        files.syncDirty(); // before the WAL: a synced record must never name unsynced data
      } catch (IOException e) {
        fail("data sync failed: " + e);
        throw e;
      }
      try {
        failpoints.inject("chunk.store.sync"); // test-only: an fsync that fails (fsyncgate, TESTPLAN F17)
        h.db.syncWal();
      } catch (RocksDBException e) {
        fail("wal sync failed: " + e.getMessage());
        throw e;
      } catch (RuntimeException e) {
        fail("wal sync failed: " + e.getMessage());
        throw new BasaltException(ErrorCode.IO_ERROR, "sync wal failed dir=" + dir + ": " + e.getMessage(), false, e);
      }
      return null;
    });
  }

  /**
   * As {@link ReplicaStore#digest}. A replica without metadata (never written, or deleted) yields epoch 0, gen 0
   * and, if it holds no blocks, blockCount 0 and the SHA-256 of nothing (e3b0c442...).
   */
  @Override
  public ScrubDigest scrubDigest(long pid, int rangeBlocks) {
    StoreArguments.checkPid(pid);
    if (rangeBlocks <= 0) throw new BasaltException(ErrorCode.INVALID_ARGUMENT, "rangeBlocks must be > 0");
    return guard.call("scrub digest", pid, false, () -> scrub.digest(pid, rangeBlocks));
  }

  @Override
  public List<Long> badBlocks(long pid, int max, long[] bytesRead) {
    StoreArguments.checkPid(pid);
    return guard.call("scrub blocks", pid, false, () -> scrub.badBlocks(pid, max, bytesRead));
  }

  @Override
  public ReplicaDigest digest(long pid) {
    StoreArguments.checkPid(pid);
    return guard.call("digest", pid, false, () -> reader.digest(pid));
  }

  /**
   * As {@link ReplicaStore#saveEvidence}: {@code rocksdb/} is a RocksDB checkpoint (SSTs hard-linked, memtables
   * flushed first), the slot files are hard links. Not through the store guard: evidence that cannot be saved is
   * reported to the caller and never fails the store.
   */
  @Override
  public int corruptBlocks(long pid, long offset, int length) {
    StoreArguments.checkRange(pid, offset, length);
    return guard.call("corrupt blocks", pid, true, () -> {
      int damaged = 0;
      for (long index = offset / BLOCK_SIZE; index <= (offset + length - 1) / BLOCK_SIZE; index++) {
        long rec = reader.record(pid, (int) index);
        if (rec == BlockReader.ABSENT) continue;
        ByteBuffer block = ByteBuffer.allocate(BLOCK_SIZE);
        files.read(pid, BlockReader.slotOf(rec), index, block);
        block.flip();
        for (int i = 100; i < 116; i++) block.put(i, (byte) ~block.get(i));
        files.write(pid, BlockReader.slotOf(rec), index, block);
        damaged++;
      }
      files.sync(pid);
      return damaged;
    });
  }

  @Override
  public void saveEvidence(long pid, Path target) {
    StoreArguments.checkPid(pid);
    try {
      Files.createDirectories(target);
      try (Checkpoint checkpoint = Checkpoint.create(h.db)) {
        checkpoint.createCheckpoint(target.resolve("rocksdb").toString());
      }
      for (int slot = 0; slot < 2; slot++) {
        Path f = files.file(pid, slot);
        if (Files.exists(f)) Files.createLink(target.resolve(f.getFileName()), f);
      }
    } catch (IOException | RocksDBException e) {
      throw new BasaltException(ErrorCode.IO_ERROR, "saving evidence of pid=" + pid + " to " + target + " failed: "
          + e, false, e);
    }
  }

  @Override
  public void deleteReplica(long pid) {
    StoreArguments.checkPid(pid);
    guard.call("delete replica", pid, true, () -> {
      try (WriteBatch batch = new WriteBatch()) {
        batch.deleteRange(h.blocks, BlockKeys.lowerBound(pid), BlockKeys.upperBound(pid));
        batch.delete(h.extents, BlockKeys.pidKey(pid));
        genLog.deleteAll(batch, pid);
        Lock writing = fence.writing(pid);
        writing.lock();
        try {
          write(batch, true, "delete replica", pid);
          fence.committed();
          metas.put(pid, ABSENT);
          slots.forget(pid);
          files.delete(pid); // after the records: a crash in between leaves files no record names (harmless)
        } finally {
          writing.unlock();
        }
      }
      return null;
    });
  }

  /** SST + blob file + memtable bytes over all column families; a few property reads, no I/O. */
  @Override
  public long usedBytes() {
    return guard.call("used bytes", 0, false, () -> {
      long sum = files.bytes();
      for (ColumnFamilyHandle cf : List.of(h.meta, h.extents, h.blocks, h.genlog)) {
        for (String property : SIZE_PROPERTIES) {
          sum += h.db.getLongProperty(cf, property);
        }
      }
      return sum;
    });
  }

  public long capacityBytes() {
    return capacityBytes;
  }

  /** Whether the data directory's disk is full (reported to meta, refuses new data). */
  public DiskSpace diskSpace() {
    return disk;
  }

  /** Blocks whose CRC did not match on read (since open). */
  public long crcErrors() {
    return crcErrors.sum();
  }

  @Override
  public Optional<String> failure() {
    return guard.failure();
  }

  @Override
  public void onFailure(Consumer<String> listener) {
    guard.onFailure(listener);
  }

  @Override
  public Optional<String> full() {
    return disk.full() ? Optional.of(disk.reason()) : Optional.empty();
  }

  /**
   * Test-only fault injection ({@code chunk.store.sync}, {@code chunk.store.enospc}); the server's failpoints, set
   * once after open.
   */
  public void failpoints(Failpoints points) {
    this.failpoints = points;
  }

  /** Idempotent. Syncs the WAL (unless failed) and releases every native object after running calls finish. */
  @Override
  public void close() {
    guard.closeOnce(() -> {
      if (guard.failure().isEmpty()) {
        try {
          files.syncDirty();
          h.db.syncWal();
        } catch (RocksDBException | IOException e) {
          log.warn("sync on close failed dir={} error={}", dir, e.toString());
        }
      }
      files.close();
      for (WriteBatch b; (b = spareBatches.poll()) != null; ) b.close();
      try {
        h.close();
      } catch (RuntimeException e) {
        log.error("releasing rocksdb resources failed dir={}", dir, e);
      }
      log.info("replica store closed dir={}", dir);
    });
  }

  /** Test hook: raw handles, e.g. to corrupt a stored block. */
  RocksHandles handles() {
    return h;
  }

  /** Fails the store (also called by the background error listener). */
  void fail(String reason) {
    guard.fail(reason);
  }

  private ReplicaMeta loadMeta(long pid) throws RocksDBException {
    ReplicaMeta cached = metas.get(pid);
    if (cached != null) return cached == ABSENT ? null : cached;
    byte[] v = h.db.get(h.extents, h.read, BlockKeys.pidKey(pid));
    ReplicaMeta m = v == null ? null : ReplicaMetaCodec.decode(pid, v);
    // putIfAbsent: a write-through of the pid's own caller always wins over this read.
    metas.putIfAbsent(pid, m == null ? ABSENT : m);
    return m;
  }

  private WriteBatch batch() {
    WriteBatch b = spareBatches.poll();
    return b != null ? b : new WriteBatch();
  }

  /** Back to the spares, cleared; a store being closed frees it instead. */
  private void recycle(WriteBatch b) {
    b.clear();
    if (spareBatches.size() < 16) {
      spareBatches.add(b); // runs under the guard: close() cannot have freed the spares yet
    } else {
      b.close();
    }
  }

  /**
   * Makes the staged data writes, syncs them if the batch is synced, then writes the batch: the order that keeps a
   * committed record from naming data that is not there. A failed data write fails the store like a failed batch.
   */
  private void commit(StagedBlocks staged, WriteBatch batch, boolean sync, String op, long pid)
      throws RocksDBException, IOException {
    Lock writing = fence.writing(pid);
    writing.lock();
    try {
      try {
        if (failpoints.isOn("chunk.store.enospc")) {
          // test-only: a slot file write that finds the disk full (TESTPLAN F16 without a small file system)
          throw new IOException(NoSpace.ENOSPC_TEXT + " (failpoint chunk.store.enospc)");
        }
        staged.writeData(files, pid);
      } catch (IOException e) {
        if (NoSpace.is(e, disk.looksFull())) {
          // Only free slots were written (their records still name the other slot): nothing to undo.
          disk.noSpace(pid, op + " data write pid=" + pid);
          throw new BasaltException(ErrorCode.NO_SPACE, op + " data write failed pid=" + pid + " dir=" + dir
              + ": disk full (" + e.getMessage() + ")", false, e);
        }
        fail(op + " data write failed pid=" + pid + ": " + e);
        throw e;
      }
      try {
        if (sync) files.sync(pid);
      } catch (IOException e) {
        // Even an ENOSPC here: a failed sync may have dropped written pages (fsyncgate), never retried.
        fail(op + " data sync failed pid=" + pid + ": " + e);
        throw e;
      }
      write(batch, sync, op, pid);
      fence.committed();
      staged.committed();
    } finally {
      writing.unlock();
    }
  }

  /** Test hook: the data files. */
  ExtentFiles files() {
    return files;
  }

  /**
   * The only place batches are written: a failed write fails the store, except for lack of space (the batch was not
   * applied; RocksDB refuses writes until it resumed, and {@link DiskSpace} holds new data back meanwhile).
   */
  private void write(WriteBatch batch, boolean sync, String op, long pid) throws RocksDBException {
    try {
      h.db.write(sync ? h.syncWrite : h.asyncWrite, batch);
    } catch (RocksDBException e) {
      if (NoSpace.is(e)) {
        disk.noSpace(pid, op + " write pid=" + pid + ": " + e.getMessage());
      } else {
        fail(op + " write failed pid=" + pid + ": " + e.getMessage());
      }
      throw e;
    }
  }
}
