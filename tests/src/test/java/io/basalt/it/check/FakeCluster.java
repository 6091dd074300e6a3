package io.basalt.it.check;

import io.basalt.it.cluster.ClusterView;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.ReplicaState;
import io.basalt.proto.ReplicaStatusResponse;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link ClusterView} over a {@link MemoryVolume} for the checker's fast tests: every written extent is "allocated"
 * (pid 100 + index) with replicas on cids 1..3, each replica the volume's bytes plus damage done to that replica
 * only (a block replaced, a generation shifted), hashed like a chunk does (SHA-256 over index and data of non-zero
 * blocks).
 */
final class FakeCluster implements ClusterView {
  static final int REPLICAS = 3;

  private final MemoryVolume volume;
  private final Map<Integer, Map<Long, byte[]>> damage = new ConcurrentHashMap<>();
  private final Map<String, Long> genShift = new ConcurrentHashMap<>();

  FakeCluster(MemoryVolume volume) {
    this.volume = volume;
  }

  static long pid(int extentIndex) {
    return 100 + extentIndex;
  }

  /** Replica {@code cid} holds {@code block} at {@code lba} from now on. */
  void damage(int cid, long lba, byte[] block) {
    damage.computeIfAbsent(cid, c -> new ConcurrentHashMap<>()).put(lba, block.clone());
  }

  /** Replica {@code cid} of {@code pid} reports its generation shifted by {@code delta}. */
  void shiftGeneration(int cid, long pid, long delta) {
    genShift.put(cid + "/" + pid, delta);
  }

  @Override
  public List<ExtentInfo> extents(String name) {
    List<ExtentInfo> out = new ArrayList<>();
    long extentSize = volume.extentSize();
    for (int i = 0; i * extentSize < volume.size(); i++) {
      if (volume.gen(i) > 0) {
        ExtentInfo.Builder b = ExtentInfo.newBuilder().setIndex(i).setPid(pid(i)).setEpoch(1).setOwnerCid(1)
            .setExtentSize(extentSize).setVid(1);
        for (int cid = 1; cid <= REPLICAS; cid++) {
          b.addReplicas(cid).addReplicaAddresses("mem:" + cid);
        }
        out.add(b.build());
      }
    }
    return out;
  }

  @Override
  public ReplicaStatusResponse replicaStatus(String address, long pid) {
    int cid = cid(address);
    int index = (int) (pid - 100);
    byte[] bytes = replica(cid, index, 0, (int) volume.extentSize());
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    long blocks = 0;
    for (int off = 0; off < bytes.length; off += BlockStamp.BLOCK) {
      if (!BlockStamp.isZero(bytes, off)) {
        sha.update(ByteBuffer.allocate(4).putInt(off / BlockStamp.BLOCK).array());
        sha.update(bytes, off, BlockStamp.BLOCK);
        blocks++;
      }
    }
    return ReplicaStatusResponse.newBuilder().setPid(pid).setCid(cid).setEpoch(1).setExists(true)
        .setState(ReplicaState.ACTIVE).setGen(volume.gen(index) + genShift.getOrDefault(cid + "/" + pid, 0L))
        .setHash(HexFormat.of().formatHex(sha.digest())).setBlockCount(blocks).build();
  }

  @Override
  public byte[] readReplica(String address, long pid, long offset, int length) {
    return replica(cid(address), (int) (pid - 100), offset, length);
  }

  private byte[] replica(int cid, int index, long offsetInExtent, int length) {
    long start = index * volume.extentSize() + offsetInExtent;
    byte[] out = volume.bytes(start, length);
    damage.getOrDefault(cid, Map.of()).forEach((lba, block) -> {
      long at = lba * BlockStamp.BLOCK - start;
      if (at >= 0 && at < length) {
        System.arraycopy(block, 0, out, (int) at, BlockStamp.BLOCK);
      }
    });
    return out;
  }

  private static int cid(String address) {
    return Integer.parseInt(address.substring("mem:".length()));
  }
}
