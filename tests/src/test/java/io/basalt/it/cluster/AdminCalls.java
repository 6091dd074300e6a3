package io.basalt.it.cluster;

import io.basalt.proto.ChunkInfo;
import io.basalt.proto.ClusterStatusRequest;
import io.basalt.proto.ClusterStatusResponse;
import io.basalt.proto.ConfirmExpiryRequest;
import io.basalt.proto.CreateVolumeRequest;
import io.basalt.proto.Envelope;
import io.basalt.proto.ExtentInfo;
import io.basalt.proto.GetExtentsRequest;
import io.basalt.proto.ListChunksRequest;
import io.basalt.proto.ListQuarantineRequest;
import io.basalt.proto.ListRecoveriesRequest;
import io.basalt.proto.ListRecoveriesResponse;
import io.basalt.proto.ListSessionsRequest;
import io.basalt.proto.QuarantineReport;
import io.basalt.proto.ReadReplicaRequest;
import io.basalt.proto.RecoveryThrottle;
import io.basalt.proto.ReplicaStatusRequest;
import io.basalt.proto.ReplicaStatusResponse;
import io.basalt.proto.SessionInfo;
import io.basalt.proto.SetRecoveryThrottleRequest;
import io.basalt.proto.VolumeInfo;
import io.basalt.rpc.Frame;
import io.basalt.rpc.RpcClientFactory;
import io.basalt.session.MetaClient;
import io.netty.buffer.ByteBufUtil;
import java.time.Duration;
import java.util.List;

/** The admin calls behind {@link ProcessCluster}'s {@link ClusterView}: meta through MetaClient, chunks directly. */
record AdminCalls(MetaClient meta, RpcClientFactory rpc) implements ClusterView {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  VolumeInfo createVolume(String name, long size, long extentSize, int replicas) {
    return meta.callSync(Envelope.newBuilder().setCreateVolume(CreateVolumeRequest.newBuilder()
        .setName(name).setSizeBytes(size).setExtentSize(extentSize).setReplicas(replicas)))
        .getVolumeResponse().getVolume();
  }

  List<ChunkInfo> listChunks() {
    return meta.callSync(Envelope.newBuilder().setListChunks(ListChunksRequest.getDefaultInstance()))
        .getListChunksResponse().getChunksList();
  }

  ClusterStatusResponse clusterStatus() {
    return meta.callSync(Envelope.newBuilder().setClusterStatus(ClusterStatusRequest
        .getDefaultInstance())).getClusterStatusResponse();
  }

  List<SessionInfo> sessions() {
    return meta.callSync(Envelope.newBuilder().setListSessions(ListSessionsRequest
        .getDefaultInstance())).getListSessionsResponse().getSessionsList();
  }

  int confirmExpiry() {
    return meta.callSync(Envelope.newBuilder().setConfirmExpiry(ConfirmExpiryRequest
        .getDefaultInstance())).getConfirmExpiryResponse().getChunks();
  }

  ListRecoveriesResponse recoveries() {
    return meta.callSync(Envelope.newBuilder().setListRecoveries(ListRecoveriesRequest
        .getDefaultInstance())).getListRecoveriesResponse();
  }

  RecoveryThrottle setRecoveryThrottle(long bytesPerSec, int perChunk) {
    return meta.callSync(Envelope.newBuilder().setSetRecoveryThrottle(SetRecoveryThrottleRequest
        .newBuilder().setBytesPerSec(bytesPerSec).setPerChunk(perChunk))).getSetRecoveryThrottleResponse()
        .getThrottle();
  }

  @Override
  public List<ExtentInfo> extents(String volume) {
    return meta.callSync(Envelope.newBuilder().setGetExtents(GetExtentsRequest.newBuilder().setVolume(volume)))
        .getGetExtentsResponse().getExtentsList();
  }

  @Override
  public ReplicaStatusResponse replicaStatus(String chunkAddress, long pid) {
    return rpc.client(chunkAddress).call(Envelope.newBuilder().setReplicaStatus(ReplicaStatusRequest.newBuilder()
        .setPid(pid)), DEADLINE).join().getReplicaStatusResponse();
  }

  /** The quarantine reports the chunk at {@code chunkAddress} keeps. */
  List<QuarantineReport> quarantine(String chunkAddress) {
    return rpc.client(chunkAddress).call(Envelope.newBuilder().setListQuarantine(
        ListQuarantineRequest.getDefaultInstance()), DEADLINE).join().getListQuarantineResponse().getReportsList();
  }

  /** The replica's bytes come in the reply frame's data buffer; the frame is released here. */
  @Override
  public byte[] readReplica(String chunkAddress, long pid, long offset, int length) {
    Frame f = rpc.client(chunkAddress).call(Envelope.newBuilder().setReadReplica(ReadReplicaRequest.newBuilder()
        .setPid(pid).setOffset(offset).setLength(length)), null, DEADLINE).join();
    try {
      return ByteBufUtil.getBytes(f.data());
    } finally {
      f.release();
    }
  }
}
