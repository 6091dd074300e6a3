package io.basalt.meta.election;

import io.basalt.meta.store.ZkPaths;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records this meta server's address once under {@code meta/servers/<address>} (persistent), so that
 * {@code basalt cluster status} still lists a meta server that died: the election latch only lists live ones.
 * Describes the deployment and decides nothing, so the write is not fenced. Best effort and never blocking
 * start-up: it runs in the background, and is tried again on each (re)connection until it succeeded once.
 */
public final class MetaServerRegistry implements ConnectionStateListener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetaServerRegistry.class);

  private final CuratorFramework client;
  private final String path;
  private final String address;
  private final AtomicBoolean writing = new AtomicBoolean();
  private volatile boolean registered;
  private volatile boolean closed;

  public MetaServerRegistry(CuratorFramework client, ZkPaths paths, String address) {
    this.client = client;
    this.path = paths.server(address);
    this.address = address;
  }

  public void start() {
    client.getConnectionStateListenable().addListener(this);
    write();
  }

  boolean registered() {
    return registered;
  }

  @Override
  public void stateChanged(CuratorFramework c, ConnectionState s) {
    if (s.isConnected()) {
      write();
    }
  }

  private void write() {
    if (registered || closed || !writing.compareAndSet(false, true)) {
      return;
    }
    try {
      client.create().orSetData().creatingParentsIfNeeded()
          .inBackground((c, event) -> done(event.getResultCode()))
          .forPath(path, address.getBytes(StandardCharsets.UTF_8));
    } catch (Exception e) {
      writing.set(false);
      log.debug("meta server registry write not started address={}: {}", address, e.toString());
    }
  }

  private void done(int resultCode) {
    writing.set(false);
    if (resultCode == 0) {
      registered = true;
      log.info("meta server registered path={}", path);
    } else {
      log.debug("meta server registry write failed address={} rc={}; retried on reconnect", address, resultCode);
    }
  }

  @Override
  public void close() {
    closed = true;
    client.getConnectionStateListenable().removeListener(this);
  }
}
