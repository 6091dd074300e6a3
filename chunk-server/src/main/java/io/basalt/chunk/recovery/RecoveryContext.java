package io.basalt.chunk.recovery;

import io.basalt.chunk.core.ChunkMetrics;
import io.basalt.chunk.core.LocalChunk;
import io.basalt.chunk.core.MetaExtents;
import io.basalt.chunk.store.ReplicaStore;
import io.basalt.common.MonotonicClock;
import io.basalt.common.OrderedExecutor;
import io.basalt.failpoint.Failpoints;
import io.basalt.rpc.RpcClientFactory;
import java.time.Duration;

/**
 * What every {@link RecoveryTask} of one chunk shares: meta, peer clients, the pid threads, the RECOVERING replica
 * table, the store, the chunk's copy throttle (bytes/s of incoming copy, over all its tasks, lower while clients
 * are served), failpoints, metrics, and the copy settings.
 *
 * @param batchBytes FetchBlocks max_bytes per batch (block-aligned)
 * @param callTimeout deadline of one FetchBlocks or barrier write
 * @param maxBackoff cap of the retry backoff after failed batches
 * @param clock the chunk's clock (copy rate windows)
 */
record RecoveryContext(MetaExtents meta, RpcClientFactory rpc, OrderedExecutor ordered, RecoveringReplicas replicas,
    ReplicaStore store, CopyThrottle throttle, Failpoints failpoints, ChunkMetrics metrics, LocalChunk local,
    int batchBytes, Duration callTimeout, Duration maxBackoff, MonotonicClock clock) {}
